# frozen_string_literal: true

# Runs every test file in this directory: ruby sidecars/ruby/test/run.rb
Dir[File.join(__dir__, "*_test.rb")].sort.each { |f| require f }
