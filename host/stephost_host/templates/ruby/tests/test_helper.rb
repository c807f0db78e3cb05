require "minitest/autorun"
require "stephost/testing"

PROJECT = File.expand_path("..", __dir__)

# A step file's `config` and `handler` in a module of their own, as the sidecar loads it
# (two files' top-level `def handler` would otherwise replace each other).
def load_step(file)
  path = File.join(PROJECT, "steps", file)
  Module.new.tap do |step|
    step.extend(step)
    step.module_eval(File.read(path), path, 1)
  end
end
