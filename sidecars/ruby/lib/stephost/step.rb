# frozen_string_literal: true

require_relative "indifferent_hash"
require_relative "wire"

module Stephost
  # One loaded step: its config (already JSON-safe), its handler and, for
  # api steps, its middleware; and how to call them for each step type.
  class Step
    # flows: the config's `flows` as Strings, what ctx.flows gives the handler.
    attr_reader :name, :type, :file, :config, :flows

    # config: string-keyed, JSON-safe Hash. handler/middleware: callables
    # (Method, Proc, or anything with #call).
    def initialize(file:, config:, handler:, middleware: [])
      @file = file
      @config = config
      @name = config["name"].to_s
      @type = config["type"].to_s
      @flows = Array(config["flows"]).map(&:to_s).freeze
      @handler = handler && Callable.new(handler)
      @middleware = middleware.map { |m| Callable.new(m) }
    end

    def manifest
      V1::StepManifest.new(name: name, type: type, config_json: Wire.dump(config), file: file)
    end

    # Runs the step on a parsed payload and returns the JSON for
    # InvocationResult.result_json. (The runner calls `respond` for api
    # steps, whose bodies need not be JSON.)
    def run(payload, ctx)
      case type
      when "api" then Wire.dump(respond(Request[payload || {}], ctx))
      when "event" then result_json(@handler&.call(payload, ctx))
      when "cron" then result_json(@handler&.call(ctx))
      else "null" # noop steps are diagram-only; the host never invokes them
      end
    end

    # An api step: middleware and handler on `req`; returns the normalised
    # response {"status", "body", "headers"}, its body as the handler gave it.
    def respond(req, ctx) = call_api(req, ctx)

    private

    # Middleware run in declared order, each as (req, ctx, next_fn);
    # next_fn.call runs the rest of the chain and returns its (normalised)
    # response, which the middleware may return as is, change, or replace.
    def call_api(req, ctx, index = 0)
      if index == @middleware.size
        raise NotImplementedError, "api step #{name} has no handler" unless @handler

        return normalize(@handler.call(req, ctx))
      end
      next_fn = ->(*) { call_api(req, ctx, index + 1) }
      normalize(@middleware[index].call(req, ctx, next_fn))
    end

    RESPONSE_KEYS = ["status", "body", "headers", :status, :body, :headers].freeze
    NO_HEADERS = {}.freeze

    # The same rule in every language: a Hash with any of status/body/headers
    # (Symbol or String keys) is a response, status defaulting to 200;
    # anything else is the body of a 200. Returned in the wire shape
    # {"status" => Integer, "body" => any, "headers" => {String => String}}
    # as an IndifferentHash, so middleware can write
    # `res[:headers]["x-mw"] = "stamped"`.
    def normalize(res)
      unless res.is_a?(Hash) && RESPONSE_KEYS.any? { |k| res.key?(k) }
        return IndifferentHash["status" => 200, "body" => res, "headers" => IndifferentHash.new]
      end

      status = fetch(res, "status") || 200
      unless status.is_a?(Integer) && (100..599).cover?(status)
        raise TypeError, "api step #{name}: response status must be an Integer from 100 to 599, got #{status.inspect}"
      end

      headers = fetch(res, "headers") || NO_HEADERS
      raise TypeError, "api step #{name}: response headers must be a Hash, got #{headers.class}" unless headers.is_a?(Hash)

      out_headers = IndifferentHash.new
      headers.each { |k, v| out_headers[k.to_s] = v.is_a?(Array) ? v.join(", ") : v.to_s }
      IndifferentHash["status" => status, "body" => fetch(res, "body"), "headers" => out_headers]
    end

    def fetch(hash, key) = hash.key?(key) ? hash[key] : hash[key.to_sym]

    # Event and cron return values are mostly accidental in Ruby (the last
    # expression is returned implicitly), so one that cannot become JSON is
    # reported as null instead of failing a step that did its work.
    def result_json(value)
      Wire.dump(value)
    rescue JSON::GeneratorError, JSON::NestingError, Encoding::UndefinedConversionError
      "null"
    end

    # Calls a handler with as many of the arguments as it declares, so
    # `def handler(req)` or `->(input) { }` work as well as the full
    # signature. Computed once at load, not per call.
    class Callable
      def initialize(target)
        @target = target
        params = (target.respond_to?(:parameters) ? target : target.method(:call)).parameters
        @arity = params.any? { |kind, _| kind == :rest } ? nil : params.count { |kind, _| %i[req opt].include?(kind) }
      end

      def call(*args)
        @target.call(*(@arity && @arity < args.size ? args.first(@arity) : args))
      end
    end
  end
end
