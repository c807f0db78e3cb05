# frozen_string_literal: true

require_relative "test_helper"
require "timeout"

# The real sidecar process (bin/stephost-sidecar-ruby) against an in-process
# stand-in for the host, over real gRPC: hello, invocations, host calls,
# heartbeats, reconnect, SIGTERM and rejection.
class EndToEndTest < Minitest::Test
  include StephostTest::Project
  V1 = Stephost::V1
  BIN = File.expand_path("../bin/stephost-sidecar-ruby", __dir__)

  STEPS = {
    "steps/hello.step.rb" => <<~RUBY,
      def config = { type: "api", name: "hello", path: "/hello/:name", method: "GET", emits: ["greeted"] }

      def handler(req, ctx)
        name = req[:pathParams][:name]
        count = (ctx.state.get("greetings", name) || 0) + 1
        ctx.state.set("greetings", name, count)
        ctx.emit(topic: "greeted", data: { name: name })
        ctx.logger.info("greeted", { name: name })
        { status: 200, body: { hello: name, count: count, trace: ctx.trace_id } }
      end
    RUBY
    "steps/slow_step.rb" => <<~RUBY,
      def config = { "type" => "event", "name" => "slow", "subscribes" => ["slow"] }
      def handler(input, ctx)
        ctx.logger.info("sleeping")
        sleep(input["seconds"]) && "slept"
      end
    RUBY
    "steps/broken.step.rb" => "def config(\n",
    "steps/todo.stream.rb" => <<~RUBY,
      def config = { name: "todo", schema: { type: "object" }, baseConfig: { storageType: "default" } }
      def can_access(subscription, auth_context) = auth_context&.dig(:userId) == subscription[:groupId]
    RUBY
    "stream_auth.rb" => <<~RUBY
      def authenticate(request) = request[:token] == "secret" ? { userId: request.dig(:query, :as) } : nil
    RUBY
  }.freeze

  # One Connect stream as the host sees it.
  class Stream
    attr_reader :hello, :inbox

    def initialize
      @out = Queue.new
      @inbox = Queue.new # every SidecarMessage after the hello
      @hello = Queue.new
    end

    def send(**kind) = @out << V1::HostMessage.new(**kind)
    def finish = @out << :end

    def replies
      out = @out
      Enumerator.new do |y|
        loop do
          m = out.pop
          break if m == :end

          y << V1::HostBatch.new(messages: [m])
        end
      end
    end

    def read(requests)
      requests.each do |batch|
        batch.messages.each { |m| m.kind == :hello ? @hello << m.hello : @inbox << m }
      end
    rescue StandardError
      nil
    ensure
      finish
    end

    # Next message of one kind (:emit for an emit call), answering state
    # calls from `store` meanwhile.
    def next_of(kind, store: {}, timeout: 10)
      Timeout.timeout(timeout) do
        loop do
          m = @inbox.pop
          if m.kind == :call
            return m.call if kind == :emit && m.call.op == :emit

            answer(m.call, store)
          elsif m.kind == kind
            return m.public_send(kind)
          end
        end
      end
    end

    def answer(call, store)
      result = case call.op
               when :state
                 s = call.state
                 key = [s.group, s.key]
                 s.op == :SET ? (store[key] = s.value_json) : store.fetch(key, "null")
               else "null"
               end
      send(call_result: V1::CallResult.new(call_id: call.call_id, result_json: result))
    end
  end

  class FakeHost < V1::SidecarHost::Service
    attr_reader :streams

    def initialize(reject: nil)
      super()
      @streams = Queue.new
      @reject = reject
    end

    def connect(requests, _call)
      stream = Stream.new
      Thread.new { stream.read(requests) }
      Thread.new do
        hello = stream.hello.pop
        if @reject
          stream.send(rejection: V1::Rejection.new(code: @reject, message: "go away"))
          stream.finish
        else
          stream.send(welcome: V1::Welcome.new(host_id: "fake", protocol_version: 1, heartbeat_interval_ms: 200))
        end
        @streams << [stream, hello]
      end
      stream.replies
    end
  end

  def with_host(reject: nil)
    host = FakeHost.new(reject: reject)
    server = GRPC::RpcServer.new(pool_size: 8)
    port = server.add_http2_port("127.0.0.1:0", :this_port_is_insecure)
    server.handle(host)
    thread = Thread.new { server.run }
    server.wait_till_running(5)
    yield host, port
  ensure
    server&.stop
    thread&.join(5)
  end

  def spawn_sidecar(port, dir, *args, env: {})
    Process.spawn({ "STEPHOST_VERSION" => nil }.merge(env), "ruby", BIN, "--connect", "127.0.0.1:#{port}", "--sidecar-id", "rb-e2e", *args, dir,
                  out: File::NULL, err: ENV["E2E_LOG"] ? $stderr : File::NULL)
  end

  def wait_exit(pid, timeout = 15)
    Timeout.timeout(timeout) { Process.wait2(pid).last.exitstatus }
  end

  def api(params) = JSON.generate({ method: "GET", path: "/", body: nil, headers: {}, pathParams: params,
                                    queryParams: {} })

  def test_serves_invocations_and_host_calls_reconnects_and_stops_on_sigterm
    with_project(STEPS) do |dir|
      with_host do |host, port|
        pid = spawn_sidecar(port, dir, "--capacity", "4", env: { "STEPHOST_VERSION" => "v3" })
        stream, hello = Timeout.timeout(15) { host.streams.pop }
        assert_equal ["ruby", "rb-e2e", 4, 2], [hello.language, hello.sidecar_id, hello.capacity, hello.protocol_version]
        assert_equal %w[hello slow], hello.steps.map(&:name)
        assert_equal ["steps/broken.step.rb"], hello.load_errors.map(&:file)
        assert_equal [["todo", "steps/todo.stream.rb"]], hello.streams.map { |m| [m.name, m.file] }
        assert_equal({ "name" => "todo", "schema" => { "type" => "object" }, "baseConfig" => { "storageType" => "default" },
                       "canAccess" => true }, JSON.parse(hello.streams.first.config_json))
        assert_equal %w[stream_authenticate], hello.hooks.to_a
        assert_equal "v3", hello.version

        # Stream auth hooks: the auth context, then an access check with it.
        auth = { token: "secret", headers: {}, query: { as: "ada" } }
        stream.send(invocation: V1::Invocation.new(invocation_id: "h1", hook: "stream_authenticate",
                                                   payload_json: JSON.generate(auth)))
        assert_equal ["h1", '{"userId":"ada"}'], stream.next_of(:result).then { |r| [r.invocation_id, r.result_json] }
        %w[ada bob].each do |group|
          access = { subscription: { streamName: "todo", groupId: group }, authContext: { userId: "ada" } }
          stream.send(invocation: V1::Invocation.new(invocation_id: "h-#{group}", hook: "stream_can_access",
                                                     step: "todo", payload_json: JSON.generate(access)))
        end
        got = Array.new(2) { stream.next_of(:result) }.to_h { |r| [r.invocation_id, r.result_json] }
        assert_equal({ "h-ada" => "true", "h-bob" => "false" }, got)

        store = {}
        stream.send(invocation: V1::Invocation.new(invocation_id: "1", step: "hello", trace_id: "tr",
                                                   payload_json: api(name: "ada")))
        emit = stream.next_of(:emit, store: store)
        assert_equal ["greeted", '{"name":"ada"}'], [emit.emit.topic, emit.emit.data_json]
        stream.answer(emit, store)
        log = stream.next_of(:log, store: store)
        assert_equal ["info", "greeted", "1"], [log.level, log.message, log.invocation_id]
        result = stream.next_of(:result, store: store)
        assert_equal({ "status" => 200, "body" => { "hello" => "ada", "count" => 1, "trace" => "tr" }, "headers" => {} },
                     JSON.parse(result.result_json))
        assert_equal "1", store[%w[greetings ada]]
        assert stream.next_of(:heartbeat, store: store)

        # The host ends the stream: the sidecar comes back with a new hello.
        stream.finish
        stream, hello = Timeout.timeout(15) { host.streams.pop }
        assert_equal "rb-e2e", hello.sidecar_id

        # SIGTERM with a handler in flight: it finishes, then exit 0.
        stream.send(invocation: V1::Invocation.new(invocation_id: "2", step: "slow", payload_json: '{"seconds":0.5}'))
        assert_equal "sleeping", stream.next_of(:log).message # the handler is in flight
        Process.kill("TERM", pid)
        assert_equal '"slept"', stream.next_of(:result).result_json
        assert_equal 0, wait_exit(pid)
        pid = nil
      ensure
        Process.kill("KILL", pid) if pid
      end
    end
  end

  HTTP_STEPS = {
    "steps/bytes.step.rb" => <<~RUBY,
      def config = { type: "api", name: "bytes", path: "/bytes", method: "POST" }
      def handler(req) = { status: 200, body: req[:rawBody].reverse, headers: { "content-type" => "x/rev" } }
    RUBY
    "steps/feed.step.rb" => <<~RUBY
      def config = { type: "api", name: "feed", path: "/feed", method: "GET" }
      def handler(_req) = { body: Enumerator.new { |y| 12.times { |i| y << "\#{i};" } } }
    RUBY
  }.freeze

  # Over real gRPC: rawBody and body_bytes keep every byte; a streamed body
  # waits for ChunkAck after 8 chunks and goes on when the host acks.
  def test_bytes_both_ways_and_a_streamed_body_paced_by_chunk_acks
    with_project(HTTP_STEPS) do |dir|
      with_host do |host, port|
        pid = spawn_sidecar(port, dir)
        stream, = Timeout.timeout(15) { host.streams.pop }
        raw = (0..255).to_a.pack("C*")
        payload = JSON.generate({ method: "POST", path: "/bytes", body: nil, headers: {}, pathParams: {},
                                  queryParams: {}, bodyKind: "bytes" })
        stream.send(invocation: V1::Invocation.new(invocation_id: "b", step: "bytes", payload_json: payload, raw_body: raw))
        result = stream.next_of(:result)
        assert_equal [raw.reverse, { "status" => 200, "headers" => { "content-type" => "x/rev" } }],
                     [result.body_bytes, JSON.parse(result.result_json)]

        stream.send(invocation: V1::Invocation.new(invocation_id: "f", step: "feed", payload_json: api({})))
        first = Array.new(8) { stream.next_of(:chunk) }
        assert_equal (1..8).to_a, first.map(&:seq)
        assert_equal 200, first[0].status
        sleep 0.2 # nothing more may come until the host acks
        early = []
        early << stream.inbox.pop until stream.inbox.empty?
        assert_empty early.select(&:chunk)
        stream.send(chunk_ack: V1::ChunkAck.new(invocation_id: "f", seq: 8))
        rest = Array.new(5) { stream.next_of(:chunk) }
        assert_equal (9..13).to_a, rest.map(&:seq)
        assert_equal 12.times.map { |i| "#{i};" }.join, (first + rest).map(&:data).join
        assert stream.next_of(:result).streamed
      ensure
        Process.kill("KILL", pid) if pid
      end
    end
  end

  def test_rejected_hello_exits_2
    with_project(STEPS) do |dir|
      with_host(reject: "unauthenticated") do |_host, port|
        pid = spawn_sidecar(port, dir)
        assert_equal 2, wait_exit(pid)
      end
    end
  end
end
