#!/usr/bin/env ruby
# frozen_string_literal: true

# Emits an event into a stephost flow through the public gRPC ingress
# (proto/stephost/v1/ingress.proto), the way a Ruby service that is not a step would.
# Uses Debian's ruby-grpc and the stubs generated into sidecars/ruby/lib/stephost/gen.
#
#   ruby emit.rb --topic order.created --data '{"id":"1"}' [--address 127.0.0.1:7070]
#                [--token T] [--group G] [--key K] [--trace-id ID] [--repeat N]
#                [--ca-file server.pem]
#
# --repeat N sends N events on one EmitBatch stream (idempotency keys get "-<i>").
# The token defaults to $STEPHOST_INGRESS_TOKEN; --ca-file turns TLS on.
# Prints one receipt per event as JSON; on failure prints "CODE: message" and exits 1.

require "json"
require "optparse"

GEN = File.expand_path("../../../sidecars/ruby/lib/stephost/gen", __dir__)
$LOAD_PATH.unshift(ENV.fetch("STEPHOST_RUBY_GEN", GEN))
require "grpc"
require "stephost/v1/ingress_services_pb"

opts = { address: "127.0.0.1:7070", token: ENV.fetch("STEPHOST_INGRESS_TOKEN", ""), data: "null", repeat: 0 }
begin
  OptionParser.new do |o|
    o.on("--address HOST:PORT") { |v| opts[:address] = v }
    o.on("--token TOKEN") { |v| opts[:token] = v }
    o.on("--topic TOPIC") { |v| opts[:topic] = v }
    o.on("--data JSON") { |v| opts[:data] = v }
    o.on("--group ID") { |v| opts[:group] = v }
    o.on("--key KEY") { |v| opts[:key] = v }
    o.on("--trace-id ID") { |v| opts[:trace_id] = v }
    o.on("--repeat N", Integer) { |v| opts[:repeat] = v }
    o.on("--ca-file PEM") { |v| opts[:ca_file] = v }
  end.parse!(ARGV)
  raise OptionParser::MissingArgument, "--topic" unless opts[:topic]
  JSON.parse(opts[:data], quirks_mode: true) # fail here, not on the host, when --data is not JSON
rescue OptionParser::ParseError, JSON::ParserError => e
  warn "emit.rb: #{e.message}"
  exit 2
end

def request(opts, index = nil)
  key = opts[:key] && (index.nil? ? opts[:key] : "#{opts[:key]}-#{index}")
  Stephost::V1::EmitRequest.new(
    topic: opts[:topic], data_json: opts[:data], message_group_id: opts[:group].to_s,
    idempotency_key: key.to_s, trace_id: opts[:trace_id].to_s
  )
end

def receipt_json(r)
  JSON.generate({ "traceId" => r.trace_id, "stream" => r.stream, "sequence" => r.sequence,
                  "duplicate" => r.duplicate })
end

creds = opts[:ca_file] ? GRPC::Core::ChannelCredentials.new(File.read(opts[:ca_file])) : :this_channel_is_insecure
ingress = Stephost::V1::Ingress::Stub.new(opts[:address], creds)
metadata = opts[:token].empty? ? {} : { "authorization" => "Bearer #{opts[:token]}" }

begin
  receipts =
    if opts[:repeat].positive?
      batches = (0...opts[:repeat]).each_slice(500).map do |slice|
        Stephost::V1::EmitBatchRequest.new(events: slice.map { |i| request(opts, i) })
      end
      ingress.emit_batch(batches.each, metadata: metadata).flat_map { |resp| resp.receipts.to_a }
    else
      [ingress.emit(request(opts), metadata: metadata, deadline: Time.now + 10)]
    end
  receipts.each { |r| puts receipt_json(r) }
rescue GRPC::BadStatus => e
  name = GRPC::Core::StatusCodes.constants.find { |c| GRPC::Core::StatusCodes.const_get(c) == e.code }
  warn "#{name || 'UNKNOWN'}: #{e.details}"
  exit 1
end
