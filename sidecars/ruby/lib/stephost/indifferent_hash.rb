# frozen_string_literal: true

module Stephost
  # The Hash every JSON object reaches a handler as: the request, its body,
  # an event's input, state values, host call results.
  #
  # Keys are stored as Strings (what JSON.parse gives, what `keys` and
  # `each` yield, what `==` against a string-keyed literal compares), but
  # Symbol keys are converted on the way in, so `input[:id]`, `input["id"]`,
  # `input.fetch(:id)`, `input.dig(:user, :name)` and `req[:user] = "x"` all
  # work. Rails developers know the shape as HashWithIndifferentAccess; we
  # cannot depend on ActiveSupport, and Motia's classic Ruby runner handed
  # out OpenStructs that accepted both spellings, so classic step files
  # written either way keep working.
  #
  # Pattern matching uses Symbol keys, as with any Ruby Hash:
  #   case input in {id:, value:} then ...
  #
  # Values assigned later are stored as given (no deep conversion): a plain
  # Hash you put in stays a plain Hash.
  class IndifferentHash < Hash
    # Hash's own update, for a Hash whose keys are converted already.
    HASH_UPDATE = Hash.instance_method(:update)

    # Builds one from any Hash (one level; nested Hashes stay as they are).
    # (Not through #update: its splat costs two Arrays, and every request
    # and response is built here.)
    def self.[](hash = nil)
      out = new
      hash ? HASH_UPDATE.bind_call(out, out.__send__(:stringify, hash)) : out
    end

    def [](key) = super(convert_key(key))
    def []=(key, value)
      super(convert_key(key), value)
    end
    alias store []=

    def fetch(key, *args, &block) = super(convert_key(key), *args, &block)
    def key?(key) = super(convert_key(key))
    alias has_key? key?
    alias include? key?
    alias member? key?
    def delete(key, &block) = super(convert_key(key), &block)
    def dig(key, *rest) = super(convert_key(key), *rest)
    def values_at(*keys) = super(*keys.map { |k| convert_key(k) })
    def fetch_values(*keys, &block) = super(*keys.map { |k| convert_key(k) }, &block)
    def slice(*keys) = self.class[super(*keys.map { |k| convert_key(k) })]
    def except(*keys) = self.class[super(*keys.map { |k| convert_key(k) })]

    def update(*others, &block)
      super(*others.map! { |h| stringify(h) }, &block)
    end
    alias merge! update

    def merge(*others, &block) = dup.update(*others, &block)

    def deconstruct_keys(keys)
      return each_with_object({}) { |(k, v), h| h[k.to_sym] = v } if keys.nil?

      keys.each_with_object({}) { |k, h| h[k] = self[k] if key?(k) }
    end

    private

    def convert_key(key) = key.is_a?(Symbol) ? key.name : key

    def stringify(hash)
      # Hash#any? (unlike none?) yields key and value without an Array per pair.
      return hash if hash.is_a?(IndifferentHash) || !hash.any? { |k, _| k.is_a?(Symbol) }

      hash.to_h { |k, v| [convert_key(k), v] }
    end
  end

  # What an api handler (and its middleware) receives as `req`:
  #   req["body"]         parsed JSON body (IndifferentHash for objects) or nil
  #   req["headers"]      lower-case names; a String, or an Array when repeated
  #   req["pathParams"]   {"id" => "42"} for path "/things/:id"
  #   req["queryParams"]  a String, or an Array when repeated
  #   req["method"], req["path"]
  #   req["rawBody"]      the exact body bytes received (a binary String)
  #   req["bodyKind"]     how the host read the body: "json", "form",
  #                       "multipart", "text", "bytes" or "empty"
  # Symbol keys work too, `path_params`/`query_params` are accepted as the
  # snake_case spellings, and the envelope fields have readers (`req.body`,
  # `req.headers`, ...) because Motia's classic runner let steps write
  # `req.body`. Middleware attaches data with `req[:user] = ...`.
  class Request < IndifferentHash
    ALIASES = {
      "path_params" => "pathParams", "query_params" => "queryParams",
      "raw_body" => "rawBody", "body_kind" => "bodyKind"
    }.freeze

    def body = self["body"]
    def headers = self["headers"]
    def path = self["path"]
    # Not `method`: that name belongs to Object#method.
    def http_method = self["method"]
    def path_params = self["pathParams"]
    def query_params = self["queryParams"]
    def raw_body = self["rawBody"]
    def body_kind = self["bodyKind"]
    alias pathParams path_params
    alias queryParams query_params
    alias rawBody raw_body
    alias bodyKind body_kind

    private

    def convert_key(key)
      key = super
      ALIASES.fetch(key, key)
    end
  end
end
