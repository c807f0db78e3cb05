# frozen_string_literal: true

require "find"
require_relative "step"
require_relative "hooks"
require_relative "runner"

module Stephost
  # Finds the project's Ruby step and stream files and loads each into its
  # own namespace, so that two files both defining `config` and `handler`
  # (the Motia classic shape) never clobber each other.
  #
  # A step file is plain Ruby evaluated inside a fresh anonymous Module:
  # top-level `def`s become that module's methods, constants and classes
  # land in it, and `require_relative` still resolves from the file's own
  # directory because the code is evaluated under its real path. What a
  # file may define (first match wins):
  #
  #   config:  `def config` returning a Hash, or a `CONFIG = {...}` constant
  #   handler: `def handler(...)`, or a `HANDLER = ->(...) { }` constant
  #
  # Config keys may be Strings or Symbols; Symbol values (`type: :api`) are
  # read as Strings. `middleware:` lists callables (`method(:auth)`,
  # lambdas) or Symbols naming methods of the same file (`[:auth, :stamp]`).
  #
  # A stream file (`*.stream.rb`, `*_stream.rb`) is loaded the same way and
  # defines only a config: `name`, `schema` (a JSON Schema Hash), optionally
  # `baseConfig`; and optionally `def can_access(subscription, auth_context)`
  # (or a CAN_ACCESS callable, or a `canAccess:` lambda in the config),
  # which the manifest announces as `"canAccess": true` and the host calls
  # as the stream_can_access hook before each join.
  #
  # The project's stream auth file (Hooks.discover_auth: `stream_auth.rb` in
  # the project root, steps/ or src/) is loaded the same way and defines
  # `def authenticate(request)` (or an AUTHENTICATE callable): the
  # stream_authenticate hook. What hooks are and how they run is hooks.rb's.
  class Loader
    ROOTS = %w[steps src].freeze
    SKIP_DIRS = %w[node_modules __pycache__].freeze
    PATTERN = /(?:\.step|_step)\.rb\z/
    STREAM_PATTERN = /(?:\.stream|_stream)\.rb\z/
    CAN_ACCESS_KEYS = %w[canAccess can_access].freeze

    # A loaded stream definition: what the hello's StreamManifest carries.
    # can_access is a callable or nil; #load_hooks wraps it as a Hooks::Hook.
    StreamDefinition = Struct.new(:file, :config, :can_access, keyword_init: true) do
      def name = config["name"]
      def manifest = V1::StreamManifest.new(name: name, config_json: Wire.dump(config), file: file)
    end

    # A file found but not loadable; becomes a LoadError in the hello.
    Failure = Struct.new(:file, :message, :stack, keyword_init: true) do
      def to_proto = V1::LoadError.new(file: file, message: message, stack: stack.to_s)
    end

    # A problem with what a file defines (as opposed to an exception while
    # evaluating it); the message is the whole explanation.
    class Invalid < StandardError; end

    # hooks: the Hooks::Hook objects the host may invoke, for the runner;
    # Hello.hooks lists the project-level ones (Hooks.hello_names).
    attr_reader :steps, :streams, :failures, :hooks

    def initialize(root)
      @root = File.expand_path(root)
      @steps = []
      @streams = []
      @failures = []
      @hooks = []
    end

    # Step files relative to the root, "/"-separated, in sorted order (the
    # order files load in, which decides who wins a duplicate name).
    def discover = find(PATTERN)

    # Stream files, likewise. The two patterns cannot both match a name, so
    # a stream file is never taken for a step file.
    def discover_streams = find(STREAM_PATTERN)

    # The stream auth file relative to the root, or nil.
    def discover_auth = Hooks.discover_auth(@root)

    def load_all
      load_steps
      load_streams
      load_hooks
      note_progress("")
      self
    end

    private

    # Keeps the path being loaded in the supervisor's STEPHOST_LOAD_PROGRESS
    # file, so the host can name a file that never finishes loading when the
    # hello deadline passes. Only a diagnosis aid: a write error is ignored.
    def note_progress(rel)
      file = ENV.fetch("STEPHOST_LOAD_PROGRESS", "")
      File.write(file, rel) unless file.empty?
    rescue SystemCallError
      nil
    end

    def find(pattern)
      ROOTS.flat_map do |dir|
        base = File.join(@root, dir)
        next [] unless File.directory?(base)

        found = []
        Find.find(base) do |path|
          name = File.basename(path)
          if File.directory?(path)
            Find.prune if path != base && (name.start_with?(".") || SKIP_DIRS.include?(name))
          elsif pattern.match?(name) && File.file?(path)
            found << path.delete_prefix("#{@root}/")
          end
        end
        found
      end.sort
    end

    def load_steps
      by_name = {}
      discover.each do |rel|
        step = load_file(rel) { |mod| build_step(rel, mod) }
        next unless step

        if (first = by_name[step.name]) && !step.name.empty?
          @failures << Failure.new(file: rel, message: "duplicate step name #{step.name.inspect}: " \
                                                       "#{first.file} already defines it (this file was not loaded)")
          next
        end
        by_name[step.name] = step
        @steps << step
      end
    end

    # Stream names are their own namespace: a stream may share a step's name.
    def load_streams
      by_name = {}
      discover_streams.each do |rel|
        stream = load_file(rel, kind: "stream") { |mod| build_stream(rel, mod) }
        next unless stream

        if (first = by_name[stream.name])
          @failures << Failure.new(file: rel, message: "duplicate stream name #{stream.name.inspect}: " \
                                                       "#{first.file} already defines it (this file was not loaded)")
          next
        end
        by_name[stream.name] = stream
        @streams << stream
      end
    end

    def load_hooks
      @streams.each do |s|
        @hooks << Hooks::Hook.can_access(stream: s.name, file: s.file, callable: s.can_access) if s.can_access
      end
      rel = discover_auth
      auth = rel && load_file(rel, kind: "stream auth") { |mod| build_auth(mod) }
      @hooks << Hooks::Hook.authenticate(file: rel, callable: auth) if auth
    end

    # Evaluates the file in a fresh module and yields the module to build
    # what it defines; any failure becomes a Failure and nil.
    def load_file(rel, kind: "step")
      note_progress(rel)
      path = File.join(@root, rel)
      mod = namespace_for(rel, kind)
      mod.module_eval(File.read(path, encoding: Encoding::UTF_8), path, 1)
      yield mod
    rescue Invalid => e
      @failures << Failure.new(file: rel, message: e.message)
      nil
    rescue ScriptError, StandardError, SystemExit => e
      # ScriptError covers SyntaxError and LoadError from a bad `require`;
      # SystemExit a stray `exit` at the top of a file: neither may take
      # the other steps down.
      @failures << Failure.new(file: rel, message: one_line(e), stack: Runner.stack(e))
      nil
    end

    # The module a file is evaluated in. `extend self` makes its top-level
    # `def`s callable on the module itself and lets them call each other.
    def namespace_for(rel, kind)
      mod = Module.new
      mod.extend(mod)
      label = "#<stephost #{kind} #{rel}>"
      mod.define_singleton_method(:inspect) { label }
      mod.define_singleton_method(:to_s) { label }
      mod
    end

    def build_step(rel, mod)
      raw = raw_config(mod)
      config = json_safe(raw.reject { |k, _| k.to_s == "middleware" })
      handler = own_method(mod, :handler)
      handler ||= mod.const_get(:HANDLER, false) if mod.const_defined?(:HANDLER, false)
      if handler.nil? && config["type"].to_s != "noop"
        raise Invalid, "no handler: define `def handler(#{signature(config['type'])})`"
      end
      raise Invalid, "HANDLER must respond to #call, got #{handler.class}" if handler && !handler.respond_to?(:call)

      check_arity(handler, config["type"]) if handler

      Step.new(file: rel, config: config, handler: handler,
               middleware: middleware(mod, raw[:middleware] || raw["middleware"]))
    end

    def build_stream(rel, mod)
      raw = raw_config(mod)
      schema = raw.key?(:schema) ? raw[:schema] : raw["schema"]
      in_config = raw.select { |k, _| CAN_ACCESS_KEYS.include?(k.to_s) }.values
      config = json_safe(raw.reject { |k, _| CAN_ACCESS_KEYS.include?(k.to_s) })
      name = config["name"]
      unless name.is_a?(String) && !name.empty?
        raise Invalid, "config.name must be a non-empty String, got #{name.nil? ? 'nothing' : name.inspect}"
      end
      raise Invalid, "config.schema must be a JSON Schema Hash, got #{schema.nil? ? 'nothing' : schema.class}" unless schema.is_a?(Hash)

      can_access = own_method(mod, :can_access)
      can_access ||= mod.const_get(:CAN_ACCESS, false) if mod.const_defined?(:CAN_ACCESS, false)
      can_access ||= in_config.first
      raise Invalid, "CAN_ACCESS must respond to #call, got #{can_access.class}" if can_access && !can_access.respond_to?(:call)
      bad = in_config.find { |v| !v.respond_to?(:call) }
      raise Invalid, "config.canAccess must be callable, got #{bad.class}" unless bad.nil?

      config["canAccess"] = true if can_access
      StreamDefinition.new(file: rel, config: config, can_access: can_access)
    end

    def build_auth(mod)
      authenticate = own_method(mod, :authenticate)
      authenticate ||= mod.const_get(:AUTHENTICATE, false) if mod.const_defined?(:AUTHENTICATE, false)
      if authenticate.nil?
        raise Invalid, "no authenticate: define `def authenticate(request)` returning an auth context or nil"
      end
      unless authenticate.respond_to?(:call)
        raise Invalid, "AUTHENTICATE must respond to #call, got #{authenticate.class}"
      end

      authenticate
    end

    def raw_config(mod)
      raw = own_method(mod, :config)&.call
      raw = mod.const_get(:CONFIG, false) if raw.nil? && mod.const_defined?(:CONFIG, false)
      raise Invalid, "no config: define `def config` returning a Hash (or a CONFIG constant)" if raw.nil?
      raise Invalid, "config must be a Hash, got #{raw.class}" unless raw.is_a?(Hash)

      raw
    end

    # Only methods the file itself defined: a top-level `def handler` in
    # some library the file required lands on Object, and must not be
    # mistaken for this file's handler.
    def own_method(mod, name)
      return nil unless mod.respond_to?(name, true)

      m = mod.method(name)
      [mod, mod.singleton_class].include?(m.owner) ? m : nil
    end

    def middleware(mod, list)
      return [] if list.nil?

      Array(list).each_with_index.map do |m, i|
        if m.is_a?(Symbol) || m.is_a?(String)
          own_method(mod, m.to_sym) || raise(Invalid, "config.middleware[#{i}]: no method #{m.inspect} in this file")
        elsif m.respond_to?(:call)
          m
        else
          raise Invalid, "config.middleware[#{i}] must be callable or a method name, got #{m.class}"
        end
      end
    end

    # String keys, String for Symbol values, functions dropped: what the
    # manifest's config_json must hold, and what the host validates.
    def json_safe(value)
      case value
      when Hash
        value.each_with_object({}) do |(k, v), out|
          out[k.is_a?(Symbol) ? k.name : k.to_s] = json_safe(v) unless function?(v)
        end
      when Array then value.reject { |v| function?(v) }.map { |v| json_safe(v) }
      when Symbol then value.name
      else value
      end
    end

    def function?(value) = value.is_a?(Proc) || value.is_a?(Method) || value.is_a?(UnboundMethod)

    # A handler that cannot take what the runner passes is a load error, not an error per call.
    # Fewer parameters are fine: Step::Callable passes only as many as the handler declares.
    def check_arity(handler, type)
      return unless SIGNATURES.key?(type.to_s)

      callable = handler.is_a?(Method) || handler.is_a?(Proc) ? handler : handler.method(:call)
      return if callable.is_a?(Proc) && !callable.lambda? # a plain proc takes any count

      params = callable.parameters
      want = SIGNATURES[type.to_s]
      required = params.count { |kind, _| kind == :req }
      required_kw = params.any? { |kind, _| kind == :keyreq }
      return unless required > want || required_kw

      raise Invalid, "a #{type} step's handler takes #{want} argument#{want > 1 ? 's' : ''}: " \
                     "`def handler(#{signature(type)})`, but it takes (#{params.map { |k, n| "#{k} #{n}" }.join(', ')})"
    end

    SIGNATURES = { "api" => 2, "event" => 2, "cron" => 1 }.freeze

    def signature(type)
      { "api" => "req, ctx", "event" => "input, ctx", "cron" => "ctx" }.fetch(type.to_s, "input, ctx")
    end

    # LoadError.message must be one line; a SyntaxError's message spans
    # several (the offending source line and a caret), the stack keeps them.
    def one_line(exception)
      first = exception.message.to_s.lines.first.to_s.strip.gsub("#{@root}/", "")
      "#{Runner.error_type(exception)}: #{first}"
    end
  end
end
