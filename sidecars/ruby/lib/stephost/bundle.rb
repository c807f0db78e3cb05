# frozen_string_literal: true

require "digest"
require "fileutils"
require "stringio"
require "zlib"

module Stephost
  # Bundles (docs/agents.md): a project tree as a deterministic gzip'd tar,
  # and its trip over the sidecar link as BundleChunks (at most 1 MiB each;
  # the last one carries the sha256 of the whole archive, checked before
  # anything is unpacked).
  #
  # Deterministic: entries sorted by name, directories before their content,
  # mtime 0, owner 0/0 with no names, modes 0755 (directories, executables)
  # or 0644, so identical content gives an identical digest. Unpacking
  # refuses a member that would land outside the destination, a link
  # pointing out of it, and anything but files, directories and symlinks.
  module Bundle
    CHUNK_BYTES = 1 << 20
    BLOCK = 512
    SKIPPED = %w[.git .stephost].freeze

    class Error < StandardError; end

    module_function

    def digest(data) = Digest::SHA256.hexdigest(data)

    # The archive as BundleChunk messages; the last one says the digest.
    def chunks(data)
      starts = (0...[data.bytesize, 1].max).step(CHUNK_BYTES).to_a
      starts.map do |start|
        last = start + CHUNK_BYTES >= data.bytesize
        V1::BundleChunk.new(data: data.byteslice(start, CHUNK_BYTES) || "", last: last, digest: last ? digest(data) : "")
      end
    end

    # Collects one request's chunks; #add returns the checked archive at the last one.
    class Assembly
      def initialize
        @parts = []
      end

      def add(chunk)
        @parts << chunk.data
        return nil unless chunk.last

        data = @parts.join.b
        found = Bundle.digest(data)
        raise Error, "the bundle's digest is #{found}, the sender said #{chunk.digest.empty? ? '(none)' : chunk.digest}" \
          unless found == chunk.digest

        data
      end
    end

    # --- packing -------------------------------------------------------------

    # The tree under `root` as a deterministic tar.gz (symlinks kept as links).
    def pack(root, skip = SKIPPED)
      tar = StringIO.new("".b)
      walk(root, "", skip) do |rel, stat|
        full = File.join(root, rel)
        mode = stat.directory? || (stat.mode & 0o100).positive? ? 0o755 : 0o644
        if stat.directory? then entry(tar, "#{rel}/", "5", mode)
        elsif stat.symlink? then entry(tar, rel, "2", 0o777, linkname: File.readlink(full))
        elsif stat.file? then entry(tar, rel, "0", mode, data: File.binread(full))
        end
      end
      tar.write("\0" * (2 * BLOCK))
      gzip(tar.string)
    end

    def gzip(data)
      out = StringIO.new("".b)
      gz = Zlib::GzipWriter.new(out, 6)
      gz.mtime = 1 # 0 would mean "now" to Zlib; any fixed time keeps the bytes stable
      gz.write(data)
      gz.close
      out.string
    end

    def walk(root, rel, skip, &block)
      Dir.children(File.join(root, rel)).sort_by(&:b).each do |name|
        next if skip.include?(name)

        child = rel.empty? ? name : "#{rel}/#{name}"
        stat = File.lstat(File.join(root, child))
        yield child, stat
        walk(root, child, skip, &block) if stat.directory?
      end
    end

    def entry(tar, name, type, mode, data: "".b, linkname: "")
      long = {}
      long["path"] = name if name.bytesize > 100
      long["linkpath"] = linkname if linkname.bytesize > 100
      unless long.empty?
        pax = long.map { |k, v| pax_record(k, v) }.join.b
        tar.write(header("PaxHeader", "x", 0o644, pax.bytesize))
        tar.write(padded(pax))
      end
      tar.write(header(name.b.byteslice(0, 100), type, mode, data.bytesize, linkname.b.byteslice(0, 100)))
      tar.write(padded(data.b)) unless data.empty?
    end

    # A PAX record ("LEN key=value\n", LEN counting itself).
    def pax_record(key, value)
      body = " #{key}=#{value}\n".b
      len = body.bytesize + body.bytesize.to_s.size
      len += 1 if len.to_s.size > body.bytesize.to_s.size
      "#{len}#{body}"
    end

    def octal(value, width) = "#{value.to_s(8).rjust(width - 1, '0')}\0"

    def header(name, type, mode, size, linkname = "")
      fields = [name, octal(mode, 8), octal(0, 8), octal(0, 8), octal(size, 12), octal(0, 12), " " * 8, type,
                linkname, "ustar\0", "00", "", "", "", "", ""]
      block = fields.pack("a100a8a8a8a12a12a8a1a100a6a2a32a32a8a8a155").ljust(BLOCK, "\0")
      sum = block.bytes.sum
      block[148, 8] = "#{sum.to_s(8).rjust(6, '0')}\0 "
      block
    end

    def padded(data)
      rest = data.bytesize % BLOCK
      rest.zero? ? data : data + ("\0" * (BLOCK - rest))
    end

    # --- unpacking -----------------------------------------------------------

    # Unpack a tar.gz into `dest` (created).
    def unpack(data, dest)
      dest = File.expand_path(dest)
      tar = begin
        Zlib::GzipReader.new(StringIO.new(data)).read.b
      rescue Zlib::Error => e
        raise Error, "cannot unpack the bundle: #{e.message}"
      end
      FileUtils.mkdir_p(dest)
      at = 0
      overrides = {} # PAX / GNU long-name values for the next member
      while at + BLOCK <= tar.bytesize
        block = tar.byteslice(at, BLOCK)
        at += BLOCK
        break if block.count("\0") == BLOCK

        size = field(block, 124, 12).strip.to_i(8)
        body = tar.byteslice(at, size) || "".b
        at += (size + BLOCK - 1) / BLOCK * BLOCK
        type = block[156] == "\0" ? "0" : block[156]
        case type
        when "x" then overrides.merge!(parse_pax(body))
        when "L" then overrides["path"] = body.delete("\0")
        when "g" then next
        else
          extract(dest, block, type, body, overrides)
          overrides = {}
        end
      end
    end

    def extract(dest, block, type, body, overrides)
      prefix = field(block, 257, 6) == "ustar" ? field(block, 345, 155) : ""
      name = overrides["path"] || (prefix.empty? ? "" : "#{prefix}/") + field(block, 0, 100)
      name = name.sub(%r{/+\z}, "").delete_prefix("./").force_encoding(Encoding::UTF_8)
      return if name.empty? || name == "."

      target = inside(dest, name)
      mode = (field(block, 100, 8).strip.to_i(8) & 0o100).positive? ? 0o755 : 0o644
      case type
      when "5" then FileUtils.mkdir_p(target)
      when "0", "7"
        FileUtils.mkdir_p(File.dirname(target))
        File.binwrite(target, body)
        File.chmod(mode, target)
      when "2"
        link = (overrides["linkpath"] || field(block, 157, 100)).force_encoding(Encoding::UTF_8)
        raise Error, "unsafe link in the bundle: #{name} -> #{link}" if link.start_with?("/")

        resolved = File.expand_path(link, File.dirname(target))
        raise Error, "unsafe link in the bundle: #{name} -> #{link}" unless within?(dest, resolved)

        FileUtils.mkdir_p(File.dirname(target))
        File.symlink(link, target)
      else
        raise Error, "the bundle holds #{name}, neither a file, a folder nor a symlink (type #{type})"
      end
    end

    def field(block, start, length) = block.byteslice(start, length).split("\0", 2).first.to_s

    def parse_pax(data)
      out = {}
      at = 0
      while at < data.bytesize
        space = data.index(" ", at) or break
        len = data.byteslice(at, space - at).to_i
        break unless len.positive?

        key, value = data.byteslice(space + 1, len - (space - at) - 2).split("=", 2)
        out[key] = value
        at += len
      end
      out
    end

    def inside(dest, name)
      raise Error, "unsafe member in the bundle: #{name}" if name.start_with?("/") || name.split("/").include?("..")

      target = File.expand_path(name, dest)
      raise Error, "unsafe member in the bundle: #{name}" unless within?(dest, target)

      target
    end

    def within?(dest, path) = path == dest || path.start_with?("#{dest}/")
  end
end
