# frozen_string_literal: true

require_relative "proto"

module Stephost
  # A SidecarBatch built from messages that are already encoded, so each
  # message is encoded exactly once: the writer has to encode it anyway to
  # know its size (Session's batch limits), and encoding the batch again
  # would do that work a second time for every message on the link.
  # #bytes are exactly what V1::SidecarBatch.encode would have produced
  # (Link#write sends them as they are).
  class EncodedBatch
    # SidecarBatch.messages is field 1, length-delimited: tag (1 << 3) | 2.
    TAG = "\x0A".b.freeze

    # A message's encoding (`message.to_proto`) with its tag and length in
    # front: what it adds to a batch.
    # Built in one String: one of these per message on the link.
    def self.item(encoded)
      out = TAG.dup
      size = encoded.bytesize
      while size > 0x7F
        out << ((size & 0x7F) | 0x80) # a binary String appends an Integer as that byte
        size >>= 7
      end
      out << size << encoded
    end

    attr_reader :bytes, :size

    # items: what EncodedBatch.item returned for each message, in order.
    def initialize(items)
      @bytes = items.join
      @size = items.size
    end
  end
end
