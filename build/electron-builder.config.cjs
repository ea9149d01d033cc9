/**
 * electron-builder configuration: Linux AppImage + deb, macOS dmg, Windows nsis.
 *
 * asar on, native modules unpacked, better-sqlite3 rebuilt for Electron's ABI at packaging time
 * (npmRebuild), and Electron fuses that close the doors an attacker with local access would use:
 * no ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no --inspect, the app only loads from its asar, and the
 * asar's integrity is checked against the hash embedded in the binary.
 */
module.exports = {
  appId: 'dev.gatehouse.console',
  productName: 'Gatehouse',
  directories: { output: 'release', buildResources: 'build/resources' },
  files: ['dist/**/*', '!dist/**/*.map', 'package.json', 'node_modules/**/*'],
  extraMetadata: { main: 'dist/main/main.cjs' },
  asar: true,
  // Native code cannot be loaded from inside an asar archive.
  // dist/native holds the audit verifier's SQLite extension (build/native.mjs), which SQLite dlopen()s.
  asarUnpack: ['**/node_modules/better-sqlite3/**', '**/*.node', 'dist/native/**', '**/node_modules/@vscode/tree-sitter-wasm/**', '**/node_modules/web-tree-sitter/**'],
  npmRebuild: true,
  buildDependenciesFromSource: false,
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  },
  linux: { target: ['AppImage', 'deb'], category: 'Development', maintainer: 'Gatehouse' },
  deb: { depends: ['libnss3', 'libsecret-1-0'] },
  mac: { target: ['dmg'], category: 'public.app-category.developer-tools', hardenedRuntime: true },
  win: { target: ['nsis'] },
  nsis: { oneClick: false, perMachine: false },
};
