# frozen_string_literal: true

# Valid syntax (the build's `ruby -wc` passes), but loading it fails: a gem that is not there.
# (Nothing after this line is reached.)
require "stephost_no_such_gem"
