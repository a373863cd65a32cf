import { resolve } from "node:path";
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * Three entry points: the single-page app (sign-in, agent desktop, supervisor, admin), the web chat
 * widget's frame, and `widget.js`, the script a host page includes (a fixed name, no imports, so a
 * plain script tag loads it).
 */
export default defineConfig({
  plugins: [react(), tailwindcss()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    rollupOptions: {
      input: {
        app: resolve(import.meta.dirname, "index.html"),
        frame: resolve(import.meta.dirname, "widget/frame.html"),
        widget: resolve(import.meta.dirname, "src/widget/loader.ts"),
      },
      output: {
        entryFileNames: (chunk) => (chunk.name === "widget" ? "widget.js" : "assets/[name]-[hash].js"),
      },
    },
  },
});
