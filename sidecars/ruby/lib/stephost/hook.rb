# frozen_string_literal: true

require_relative "step"
require_relative "wire"

module Stephost
  # Project code the host calls outside any step (Invocation.hook), for the
  # real-time stream WebSocket:
  #
  #   "stream_authenticate": the project's stream_auth.rb `authenticate(request)`
  #     turns {"token","headers","query"} into an auth context (any JSON
  #     value), or nil/false to refuse the client.
  #   "stream_can_access": a stream file's `can_access(subscription,
  #     auth_context)` decides one join; Invocation.step names the stream.
  #
  # Hooks run on the executor's pool like steps (same capacity, cancel and
  # error results) but get no ctx, as in the Python and Node sidecars.
  class Hook
    AUTHENTICATE = "stream_authenticate"
    CAN_ACCESS = "stream_can_access"

    # stream: the stream a can_access hook belongs to; nil for project-level
    # hooks, which are the ones Hello.hooks lists (per-stream checks are
    # announced by `"canAccess": true` in each StreamManifest instead).
    attr_reader :name, :stream, :file

    def self.authenticate(file:, callable:) = new(AUTHENTICATE, nil, file, callable)
    def self.can_access(stream:, file:, callable:) = new(CAN_ACCESS, stream, file, callable)

    # How the executor finds the hook an Invocation asks for. The stream
    # name only matters to stream_can_access: for stream_authenticate the
    # host leaves Invocation.step empty, and anything it puts there is ignored.
    def self.key_for(invocation)
      [invocation.hook, invocation.hook == CAN_ACCESS ? invocation.step : nil]
    end

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
