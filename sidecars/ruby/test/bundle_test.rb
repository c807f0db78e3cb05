# frozen_string_literal: true

require_relative "test_helper"
require "stephost/bundle"

class BundleTest < Minitest::Test
  def tree(dir)
    FileUtils.mkdir_p(File.join(dir, "steps"))
    FileUtils.mkdir_p(File.join(dir, ".git"))
    File.write(File.join(dir, "steps", "a_step.rb"), "X = 1\n")
    dir
  end

  # A one-member tar.gz: `name` as a file, or a symlink to `link`.
  def archive(name, link = "")
    header = Stephost::Bundle.header(name, link.empty? ? "0" : "2", 0o644, 0, link)
    Stephost::Bundle.gzip(header + ("\0" * 1024))
  end

  def test_identical_content_packs_to_identical_bytes
    Dir.mktmpdir do |tmp|
      one = tree(File.join(tmp, "one"))
      two = tree(File.join(tmp, "two"))
      File.utime(1, 1, File.join(two, "steps", "a_step.rb"))
      File.chmod(0o600, File.join(two, "steps", "a_step.rb"))
      assert_equal Stephost::Bundle.pack(one), Stephost::Bundle.pack(two)
      out = File.join(tmp, "out")
      Stephost::Bundle.unpack(Stephost::Bundle.pack(one), out)
      assert_equal ["steps"], Dir.children(out) # .git is never packed
      assert_equal 0o644, File.stat(File.join(out, "steps", "a_step.rb")).mode & 0o777
    end
  end

  def test_chunks_reassemble_and_a_wrong_digest_is_refused
    data = "x" * (Stephost::Bundle::CHUNK_BYTES + 5)
    chunks = Stephost::Bundle.chunks(data)
    assert_equal [[Stephost::Bundle::CHUNK_BYTES, false], [5, true]], chunks.map { |c| [c.data.bytesize, c.last] }
    assembly = Stephost::Bundle::Assembly.new
    assert_nil assembly.add(chunks[0])
    assert_equal data, assembly.add(chunks[1])
    bad = Stephost::Bundle::Assembly.new
    bad.add(chunks[0])
    chunks[1].data = "yyyyy"
    error = assert_raises(Stephost::Bundle::Error) { bad.add(chunks[1]) }
    assert_match(/the bundle's digest is \h+, the sender said/, error.message)
  end

  def test_a_member_or_link_escaping_the_destination_is_refused
    [["../escape.txt", ""], ["/etc/escape", ""], ["out", "../../etc"]].each do |name, link|
      Dir.mktmpdir do |tmp|
        assert_raises(Stephost::Bundle::Error, name) { Stephost::Bundle.unpack(archive(name, link), File.join(tmp, "in")) }
        assert_equal ["in"], Dir.children(tmp)
      end
    end
  end
end
