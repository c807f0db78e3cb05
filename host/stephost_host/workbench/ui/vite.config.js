// Builds the Workbench into ../static (shipped with the host package, served at
// /__stephost/workbench/). Relative asset paths: the page works under any prefix.
import { defineConfig } from 'vite'
import preact from '@preact/preset-vite'

export default defineConfig({
  base: './',
  plugins: [preact()],
  build: { outDir: '../static', emptyOutDir: true, chunkSizeWarningLimit: 1000 },
})
