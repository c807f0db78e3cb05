# frozen_string_literal: true

# Stephost::Testing::Minitest: `include` it in a Minitest::Test class to get
# `stephost_tester`, one host per test class, started on first use and stopped when the
# run ends. The project is the class's `stephost_project` (default: $STEPHOST_PROJECT or
# the current folder).
require "minitest"

module Stephost
  module Testing
    module Minitest
      TESTERS = {}
      MUTEX = Mutex.new

      def self.included(base)
        base.extend(ClassMethods)
      end

      # Started testers stop once every test has run (after_run, unlike an at_exit registered
      # here, runs after minitest/autorun's own at_exit whatever the require order).
      ::Minitest.after_run { TESTERS.each_value(&:close) }

      module ClassMethods
        def stephost_project(dir = nil)
          @stephost_project = dir if dir
          @stephost_project
        end
      end

      def stephost_tester
        MUTEX.synchronize do
          TESTERS[self.class] ||= Testing.create_tester(self.class.stephost_project)
        end
      end
    end
  end
end
