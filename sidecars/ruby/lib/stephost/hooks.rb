# frozen_string_literal: true

require_relative "step"
require_relative "wire"

module Stephost
  # The hooks layer: project code the host calls outside any step
  # (Invocation.hook), for the real-time stream WebSocket. Everything about
  # them lives here: where the auth file is, how a hook is keyed, announced
  # and run.
  #
  #   "stream_authenticate": the project's stream_auth.rb `authenticate(request)`
  #     turns {"token","headers","query"} into an auth context (any JSON
  #     value), or nil/false to refuse the client.
  #   "stream_can_access": a stream file's `can_access(subscription,
  #     auth_context)` decides one join; Invocation.step names the stream.
  #
  # Hooks run on the runner's pool like steps (same capacity, cancel and
  # error results) but get no ctx, as in the Python and Node sidecars. The
  # loader evaluates the files (a module per file, as for steps) and hands
  # what they define to Hook.authenticate / Hook.can_access.
  module Hooks
    AUTHENTICATE = "stream_authenticate"
    CAN_ACCESS = "stream_can_access"
    AUTH_FILE = "stream_auth.rb"
    # Where the auth file may live, in the order searched ("" is the root).
    AUTH_DIRS = ["", "steps", "src"].freeze

    module_function

    # The stream auth file relative to `root`, or nil. Only the first one
    # found counts (root, then steps/, then src/), as in the Python and Node
    # sidecars; the name matches neither step nor stream files.
    def discover_auth(root)
      AUTH_DIRS.map { |dir| dir.empty? ? AUTH_FILE : "#{dir}/#{AUTH_FILE}" }
               .find { |rel| File.file?(File.join(root, rel)) }
    end

    # How the runner finds the hook an Invocation asks for. The stream name
    # only matters to stream_can_access: for stream_authenticate the host
    # leaves Invocation.step empty, and anything it puts there is ignored.
    def key_for(invocation)
      [invocation.hook, invocation.hook == CAN_ACCESS ? invocation.step : nil]
    end

    # Hello.hooks: the project-level hooks. Per-stream access checks are
    # announced by `"canAccess": true` in each StreamManifest instead.
    def hello_names(hooks) = hooks.select(&:project_level?).map(&:name)

    # Why the runner has no hook for an invocation.
    def missing(invocation)
      case invocation.hook
      when CAN_ACCESS then "no stream named #{invocation.step.inspect} with can_access is loaded in this sidecar"
      when AUTHENTICATE then "no #{AUTH_FILE} with authenticate is loaded in this sidecar"
      else "unknown hook #{invocation.hook.inspect}"
      end
    end

    # One hook: a name, the stream it belongs to (can_access only) and the
    # project's callable.
    class Hook
      # stream: the stream a can_access hook belongs to; nil for
      # project-level hooks, which are the ones Hello.hooks lists.
      attr_reader :name, :stream, :file

      def self.authenticate(file:, callable:) = new(AUTHENTICATE, nil, file, callable)
      def self.can_access(stream:, file:, callable:) = new(CAN_ACCESS, stream, file, callable)

      def initialize(name, stream, file, callable)
        @name = name
        @stream = stream
        @file = file
        @callable = Step::Callable.new(callable)
      end

      def key = [name, stream]
      def project_level? = stream.nil?

      # Runs the hook on a parsed payload and returns the JSON for
      # InvocationResult.result_json.
      def run(payload)
        case name
        when AUTHENTICATE then Wire.dump(@callable.call(payload))
        when CAN_ACCESS then Wire.dump(can_access(payload))
        end
      end

      private

      # Fails closed: only exactly `true` grants access. A truthy value that
      # is not `true` ("yes", 1, a user Hash) is a refusal, as in the Node
      # sidecar (`=== true`) and the host (`allowed is True`), so a check
      # that accidentally returns the auth context never opens a stream.
      def can_access(payload)
        unless payload.is_a?(Hash) && payload["subscription"].is_a?(Hash)
          raise ArgumentError, "stream_can_access payload must be an object with a \"subscription\" object"
        end

        @callable.call(payload["subscription"], payload["authContext"]).equal?(true)
      end
    end
  end
end
