# frozen_string_literal: true

require_relative "test_helper"

# Request bodies beyond JSON (rawBody, bytes, multipart files) and responses
# beyond JSON (binary Strings, streamed bodies with a window), driven
# through the runner with protocol-shaped invocations.
class HttpTest < Minitest::Test
  include StephostTest::Polling

  V1 = Stephost::V1
  Log = Stephost::Log.new(io: StringIO.new)
  WINDOW = Stephost::ResponseStream::WINDOW
  MAX_CHUNK = Stephost::ResponseStream::MAX_CHUNK

  def request(**extra)
    { method: "POST", path: "/x", body: nil, headers: {}, pathParams: {}, queryParams: {}, bodyKind: "empty" }.merge(extra)
  end

  def api_step(&handler)
    Stephost::Step.new(file: "f", config: { "name" => "h", "type" => "api" }, handler: handler)
  end

  # Submits one invocation of `handler`; returns [runner, session].
  def invoke(payload: request, raw_body: "", files: [], file_ranges: [], id: "i1", &handler)
    runner = Stephost::Runner.new([api_step(&handler)], capacity: 2, log: Log)
    session = StephostTest::FakeSession.new
    inv = V1::Invocation.new(invocation_id: id, step: "h", trace_id: "t", attempt: 1,
                             payload_json: JSON.generate(payload), raw_body: raw_body, files: files,
                             file_ranges: file_ranges)
    runner.submit(session, inv)
    @runners << runner
    [runner, session]
  end

  def setup
    @runners = []
    @sent = Hash.new { |h, k| h[k] = [] }
  end

  def teardown
    @runners.each { |r| assert r.wait_idle(5) }
  end

  # Everything the session got so far (kept across calls).
  def sent(session)
    @sent[session].concat(session.drain)
  end

  def chunks(session) = sent(session).select(&:chunk).map(&:chunk)
  def results(session) = sent(session).select(&:result).map(&:result)

  def result_of(session) = wait_for("the result") { results(session).first }

  def test_raw_body_is_the_exact_bytes_as_a_binary_string_and_json_is_unchanged
    raw = "{ \"a\" :1,\n\"é\":[true] }".b
    seen = nil
    _, session = invoke(payload: request(body: { "a" => 1, "é" => [true] }, bodyKind: "json"), raw_body: raw) do |req, _ctx|
      seen = [req["rawBody"], req[:rawBody], req.raw_body, req.body_kind]
      { status: 200, body: req.body }
    end
    result = result_of(session)
    assert_equal [raw, raw, raw, "json"], seen
    assert_equal Encoding::BINARY, seen.first.encoding
    assert_equal({ "status" => 200, "body" => { "a" => 1, "é" => [true] }, "headers" => {} }, JSON.parse(result.result_json))
    refute result.has_body_bytes?
    refute result.streamed
  end

  # Protocol 2: the host leaves a JSON body out of the payload, and the
  # handler gets it read from the raw bytes, objects indifferent as ever.
  def test_a_json_body_left_out_of_the_payload_is_read_from_the_raw_bytes
    raw = "{ \"a\" :1,\n\"é\":[true, {\"n\": 2.5}] }".b
    seen = nil
    payload = request(bodyKind: "json").except(:body)
    _, session = invoke(payload: payload, raw_body: raw) do |req, _ctx|
      seen = [req.body, req[:body][:é][1][:n], req.raw_body]
      { status: 200, body: req.body }
    end
    result = result_of(session)
    assert_equal [{ "a" => 1, "é" => [true, { "n" => 2.5 }] }, 2.5, raw], seen
    assert_equal({ "a" => 1, "é" => [true, { "n" => 2.5 }] }, JSON.parse(result.result_json)["body"])
  end

  def test_bytes_body_kind_gives_the_raw_bytes_and_empty_gives_an_empty_binary_string
    raw = [0, 1, 255, 254].pack("C*")
    seen = nil
    _, session = invoke(payload: request(bodyKind: "bytes"), raw_body: raw) { |req| seen = req[:body] and { status: 204 } }
    result_of(session)
    assert_equal raw, seen
    assert_equal Encoding::BINARY, seen.encoding

    empty = nil
    _, session = invoke(id: "i2") { |req| (empty = req["rawBody"]) && nil }
    result_of(session)
    assert_equal ["", Encoding::BINARY], [empty, empty.encoding]
  end

  def test_multipart_file_fields_get_their_content_from_invocation_files
    files = ["first".b, [0, 255].pack("C*"), "third".b]
    body = {
      note: "hi", tags: %w[a b],
      doc: { filename: "a.txt", contentType: "text/plain", size: 5, file: 0 },
      pics: [{ filename: "b.bin", contentType: "application/octet-stream", size: 2, file: 1 },
             { filename: "c.txt", contentType: "text/plain", size: 5, file: 2 }]
    }
    seen = nil
    _, session = invoke(payload: request(body: body, bodyKind: "multipart"), raw_body: "--raw--", files: files) do |req|
      (seen = req.body) && { status: 204 }
    end
    result_of(session)
    assert_equal "hi", seen[:note]
    assert_equal %w[a b], seen[:tags]
    assert_equal %w[content contentType filename size], seen[:doc].keys.sort
    assert_equal ["first", Encoding::BINARY], [seen[:doc][:content], seen[:doc][:content].encoding]
    assert_equal [["b.bin", "00ff"], ["c.txt", "third".unpack1("H*")]],
                 seen[:pics].map { |p| [p[:filename], p[:content].unpack1("H*")] }

    _, session = invoke(payload: request(body: { f: { filename: "x", file: 3 } }, bodyKind: "multipart"), files: files,
                        id: "bad") { {} }
    assert_match(/multipart file index 3 is out of range/, result_of(session).error.message)
  end

  def test_protocol_2_multipart_files_are_ranges_of_the_raw_body
    body = { up: { filename: "a", size: 3, file: 1 }, many: [{ filename: "b", size: 2, file: 0 }] }
    ranges = [V1::ByteRange.new(start: 3, end: 5), V1::ByteRange.new(start: 0, end: 3)]
    seen = nil
    _, session = invoke(payload: request(body: body, bodyKind: "multipart"), raw_body: "onetw", file_ranges: ranges) do |req|
      (seen = req.body) && { status: 204 }
    end
    result_of(session)
    assert_equal [["one", Encoding::BINARY], "tw"], [[seen[:up][:content], seen[:up][:content].encoding], seen[:many][0][:content]]

    outside = [V1::ByteRange.new(start: 2, end: 9)]
    _, session = invoke(payload: request(body: body, bodyKind: "multipart"), raw_body: "onetw", file_ranges: outside,
                        id: "bad") { {} }
    assert_match(/multipart file range \[2, 9\) is outside the 5-byte body/, result_of(session).error.message)
  end

  def test_a_binary_string_body_goes_out_as_body_bytes_and_text_stays_json
    png = ["89504e470d0a1a0a"].pack("H*")
    _, session = invoke { { status: 201, body: png, headers: { "content-type" => "image/png" } } }
    result = result_of(session)
    assert_equal({ "status" => 201, "headers" => { "content-type" => "image/png" } }, JSON.parse(result.result_json))
    assert_equal png, result.body_bytes

    _, session = invoke(id: "csv") { { status: 200, body: "a,b\n1,2\n", headers: { "content-type" => "text/csv" } } }
    result = result_of(session)
    assert_equal({ "status" => 200, "body" => "a,b\n1,2\n", "headers" => { "content-type" => "text/csv" } },
                 JSON.parse(result.result_json))
    refute result.has_body_bytes?
    assert_empty chunks(session)
  end

  def test_a_streamed_body_goes_out_in_order_then_streamed
    _, session = invoke do
      body = Enumerator.new { |y| (1..3).each { |i| y << "data: #{i}\n\n" } }
      { status: 200, body: body, headers: { "content-type" => "text/event-stream" } }
    end
    result = result_of(session)
    assert result.streamed
    assert_empty result.result_json
    got = chunks(session)
    assert_equal [1, 2, 3, 4], got.map(&:seq)
    assert_equal [200, { "content-type" => "text/event-stream" }], [got[0].status, JSON.parse(got[0].headers_json)]
    assert(got.drop(1).all? { |c| c.status.zero? && c.headers_json.empty? })
    assert_equal "data: 1\n\ndata: 2\n\ndata: 3\n\n", got.map(&:data).join
  end

  def test_any_object_with_each_streams_but_hashes_and_arrays_do_not
    custom = Object.new
    def custom.each
      yield "x"
      yield "y".encode("UTF-16LE").b
    end
    _, session = invoke { { body: custom } }
    assert result_of(session).streamed
    assert_equal "x" + "y".encode("UTF-16LE").b, chunks(session).map(&:data).join.b

    _, session = invoke(id: "arr") { { body: %w[a b] } }
    assert_equal %w[a b], JSON.parse(result_of(session).result_json)["body"]
  end

  def test_pieces_over_1_mib_are_split_and_at_most_8_chunks_wait_for_an_ack
    _, session = invoke { { body: ["\x07".b * ((2 * MAX_CHUNK) + 10)].each } }
    result_of(session)
    assert_equal [MAX_CHUNK, MAX_CHUNK, 10], chunks(session).drop(1).map { |c| c.data.bytesize }

    pulled = 0
    runner, session = invoke(id: "w") { { body: Enumerator.new { |y| 20.times { |i| (pulled += 1) && y << "#{i}," } } } }
    wait_for("the first window") { chunks(session).size == WINDOW }
    sleep 0.05
    assert_equal WINDOW, chunks(session).size # no ack: it waits
    assert_operator pulled, :<=, WINDOW
    runner.ack(session, "w", 3)
    wait_for("three more") { chunks(session).size == WINDOW + 3 }
    sleep 0.05
    assert_equal WINDOW + 3, chunks(session).size
    runner.ack(session, "w", 100)
    assert result_of(session).streamed
    assert_equal (1..21).to_a, chunks(session).map(&:seq)
    assert_equal 20.times.map { |i| "#{i}," }.join, chunks(session).map(&:data).join
  end

  def test_cancel_raises_in_the_body_and_nothing_more_is_sent
    stopped = Queue.new
    runner, session = invoke(id: "c") do
      body = Enumerator.new do |y|
        y << "one"
        sleep 10
        y << "two"
      rescue Stephost::Cancelled
        stopped << :cancelled
        raise
      end
      { body: body }
    end
    wait_for("the first piece") { chunks(session).size == 2 }
    runner.cancel(session, "c")
    assert_equal :cancelled, stopped.pop
    assert runner.wait_idle(5)
    assert_equal 2, chunks(session).size
    assert_empty results(session)

    # Cancelled while waiting for the window.
    runner, session = invoke(id: "w") { { body: Enumerator.new { |y| loop { y << "x" } } } }
    wait_for("the window to fill") { chunks(session).size == WINDOW }
    runner.cancel(session, "w")
    assert runner.wait_idle(5)
    assert_equal WINDOW, chunks(session).size
    assert_empty results(session)
  end

  def test_an_error_mid_stream_or_a_piece_that_is_not_a_string_ends_with_an_error
    _, session = invoke do
      { body: Enumerator.new { |y| (y << "partial") && raise(RangeError, "source broke") } }
    end
    result = result_of(session)
    assert_equal %w[RangeError source\ broke], [result.error.type, result.error.message]
    refute result.streamed
    assert_equal 2, chunks(session).size

    _, session = invoke(id: "odd") { { body: [{ n: 1 }].each } }
    assert_match(/must yield Strings, got Hash/, result_of(session).error.message)
  end
end
