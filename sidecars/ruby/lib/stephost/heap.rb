# frozen_string_literal: true

require "rbconfig"

module Stephost
  # The GC settings the sidecar runs with. Ruby's default heap starts at
  # 10,000 slots and grows in small steps, so a sidecar serving requests ran
  # a minor GC every few hundred invocations, each one marking the stacks of
  # every worker thread: about a tenth of its CPU under load. A heap that
  # starts big enough for a busy sidecar's short-lived objects (about 16 MB)
  # makes those GCs rare. Ruby reads these settings only as it boots, so the
  # sidecar sets them for itself by executing itself once more (same process
  # id, same arguments) before it loads anything; a variable already in the
  # environment is left as the user set it.
  module Heap
    SETTINGS = {
      "RUBY_GC_HEAP_INIT_SLOTS" => "400000",
      # Keep more free slots after a GC, so the next one is as far away.
      "RUBY_GC_HEAP_FREE_SLOTS_MIN_RATIO" => "0.40"
    }.freeze

    module_function

    # Returns only when every setting is already in the environment.
    def boot(script, argv)
      missing = SETTINGS.reject { |name, _| ENV.key?(name) }
      exec(missing, RbConfig.ruby, script, *argv) unless missing.empty?
    end
  end
end
