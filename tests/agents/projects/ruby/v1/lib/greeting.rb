# frozen_string_literal: true

module Greeting
  def self.greet(word) = "#{word} from ruby"
end
