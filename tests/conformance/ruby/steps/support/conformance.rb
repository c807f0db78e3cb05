# Not a step file (no .step.rb / _step.rb suffix): a helper that step files
# pull in with require_relative.
module Conformance
  LANGUAGE = "ruby"
end
