# frozen_string_literal: true

require_relative "proto"
require_relative "wire"
require_relative "indifferent_hash"

module Stephost
  # What an api handler sees of the HTTP request beyond JSON, and what kind
  # of body its response has. The host parses the body by content type and
  # names the kind in the payload's "bodyKind"; the exact bytes ride beside
  # the JSON in Invocation.raw_body, so they are never re-encoded. A JSON body
  # the payload leaves out (protocol 2) is read from those bytes, and each
  # multipart file is a range of them (Invocation.file_ranges; copies in
  # Invocation.files from a protocol 1 host): a body crosses the link once.
  module Http
    module_function

    # The request a handler gets: the payload as the host sent it plus
    # "rawBody" (a binary String of the exact bytes received), with the body
    # completed for its kind: the raw bytes for "bytes", each multipart file
    # object's "file" index replaced by its "content", the bytes read as JSON
    # for "json" when the payload leaves the body out.
    def request(payload, invocation)
      req = Request[payload.is_a?(Hash) ? payload : {}]
      raw = binary(invocation.raw_body)
      case req["bodyKind"]
      when "json" then req["body"] = Wire.parse(raw.dup.force_encoding(Encoding::UTF_8)) unless req.key?("body")
      when "bytes" then req["body"] = raw
      when "multipart" then req["body"] = with_file_contents(req["body"], uploaded_files(invocation, raw))
      end
      req["rawBody"] = raw
      req
    end

    # A body sent as raw bytes: a String whose encoding is BINARY
    # (ASCII-8BIT), what File.binread, String#b and Array#pack give. Text in
    # any other encoding stays a JSON string body.
    def bytes?(body) = body.is_a?(String) && body.encoding == Encoding::BINARY

    # A body sent in chunks as it is produced: an Enumerator, or any object
    # that responds to `each` and is not a value that is one body already.
    def stream?(body) = !body.is_a?(String) && !body.is_a?(Hash) && !body.is_a?(Array) && body.respond_to?(:each)

    # A normalised response whose body is not a stream -> its InvocationResult.
    def result(invocation_id, response)
      body = response["body"]
      return V1::InvocationResult.new(invocation_id: invocation_id, result_json: Wire.dump(response)) unless bytes?(body)

      head = { "status" => response["status"], "headers" => response["headers"] }
      V1::InvocationResult.new(invocation_id: invocation_id, result_json: Wire.dump(head), body_bytes: body)
    end

    def binary(bytes)
      bytes = bytes.to_s
      bytes.encoding == Encoding::BINARY ? bytes : bytes.b
    end

    # Each multipart file's content: its range of the raw bytes, or its copy.
    def uploaded_files(invocation, raw)
      return invocation.files.map { |f| binary(f) } if invocation.file_ranges.empty?

      invocation.file_ranges.map do |r|
        unless r.start <= r.end && r.end <= raw.bytesize
          raise RangeError, "multipart file range [#{r.start}, #{r.end}) is outside the #{raw.bytesize}-byte body"
        end

        raw.byteslice(r.start, r.end - r.start)
      end
    end

    def with_file_contents(body, files)
      return body unless body.is_a?(Hash)

      body.each_key do |name|
        value = body[name]
        body[name] = value.is_a?(Array) ? value.map { |v| file_content(v, files) } : file_content(value, files)
      end
      body
    end

    def file_content(value, files)
      return value unless value.is_a?(Hash) && value["file"].is_a?(Integer)

      index = value["file"]
      unless index >= 0 && index < files.size
        raise RangeError, "multipart file index #{index} is out of range (#{files.size} files in the invocation)"
      end

      value.except("file").merge("content" => files[index])
    end
  end
end
