# frozen_string_literal: true

# Valid syntax (the build's `ruby -wc` passes), but loading it fails.
raise ArgumentError, "this step cannot be loaded"
