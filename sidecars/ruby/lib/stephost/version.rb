# frozen_string_literal: true

module Stephost
  VERSION = "0.1.0"
end
