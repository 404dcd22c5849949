'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS on purpose: electron-builder require()s its config and hooks. */
/**
 * electron-builder configuration (issue #9). `npm run dist` builds the
 * installers of the host OS; `dist:win`, `dist:mac`, `dist:linux` pick one.
 * What it produces and how to sign, deploy silently and update: build/README.md.
 *
 * It is a script rather than JSON so that signing follows the credentials the
 * environment holds (build/hooks/signing.cjs): with none, builds are unsigned
 * and say so instead of failing.
 */
const { windowsSigning, macSigning } = require('./hooks/signing.cjs');

const env = process.env;
const win = windowsSigning(env);
const mac = macSigning(env);

/**
 * zeromq ships prebuilt addons for every OS and CPU under build/<os>/<arch>/
 * (loaded through build/manifest.json): keep the target's only. `${arch}` is
 * expanded by electron-builder for each architecture it packs.
 */
function zeromqFor(os) {
  const others = ['darwin', 'linux', 'win32'].filter((o) => o !== os);
  return [
    `!node_modules/zeromq/build/{${others.join(',')}}{,/**/*}`,
    `!node_modules/zeromq/build/${os}/!(\${arch}){,/**/*}`,
    // Electron is built against glibc; the musl (Alpine) addons never load in it.
    `!node_modules/zeromq/build/${os}/*/node/musl-*{,/**/*}`,
    // Bare ABI-number folders are leftovers of older releases that build/manifest.json no longer lists.
    `!node_modules/zeromq/build/${os}/*/node/+([0-9]){,/**/*}`,
  ];
}

/** The update feed: a generic HTTPS folder (OUTPOST_UPDATE_URL) or the GitHub releases of this repository. */
function publish() {
  if (env.OUTPOST_UPDATE_URL) return [{ provider: 'generic', url: env.OUTPOST_UPDATE_URL }];
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '').split('/');
  if (owner && repo) return [{ provider: 'github', owner, repo, releaseType: 'release' }];
  return null;
}

/**
 * The app is the electron-vite bundles (out/main, out/preload, out/renderer)
 * and the production dependencies: no sources, tests, maps or type files.
 * A platform's own `files` replaces this list, so each repeats it (filesFor).
 */
const APP_FILES = [
  'out/**/*',
  // The `outpost` executables are copied beside the archive (extraResources), not into it.
  '!out/bin{,/**/*}',
  'package.json',
  '!**/*.{map,ts,tsx,mts,cts,tsbuildinfo}',
  // Dependencies' own test suites.
  '!node_modules/**/{spec,specs,__tests__}{,/**/*}',
  '!**/*.{spec,test}.{js,cjs,mjs}',
  '!node_modules/zeromq/{src,script,CMakeLists.txt,vcpkg.json,tsconfig.json,.mocharc.js}{,/**/*}',
  // Headers and the build driver: only needed to compile the addon, which ships prebuilt.
  '!node_modules/node-addon-api{,/**/*}',
  '!node_modules/cmake-ts/{src,build/deps,build/nodeAPIInclude}{,/**/*}',
  // Bundled into out/renderer by Vite; nothing in the main process requires them.
  '!node_modules/{react,react-dom,scheduler}{,/**/*}',
];

function filesFor(os) {
  return [...APP_FILES, ...zeromqFor(os)];
}

const publisherName = env.WIN_PUBLISHER_NAME || undefined;

/** @type {import('app-builder-lib').Configuration} */
module.exports = {
  appId: 'org.outpost.agent',
  productName: 'Outpost',
  copyright: 'Copyright © Outpost contributors',
  extraMetadata: {
    // The NSIS/MSI publisher and the deb maintainer (package.json has no author).
    author: { name: 'Outpost contributors' },
    // Read at run time by main/shell/update-policy.ts (parseBuildInfo): an unsigned macOS
    // build never looks for updates. electron-builder.msi.cjs adds `package: 'msi'`.
    outpostBuild: { signed: { win32: win.method !== 'none', darwin: mac.method !== 'none' } },
  },
  directories: { output: 'dist', buildResources: 'build' },

  files: APP_FILES,
  extraResources: [
    // The tray icons main/shell/index.ts loads from <resources>/build when packaged.
    { from: 'build', to: 'build', filter: ['tray-*.png'] },
    // The `outpost` command (issue #17), built for this target by beforePack (hooks/cli-executable.cjs).
    { from: 'out/bin/${os}-${arch}', to: 'bin' },
    // The UI `outpost ui` serves: the command's Node cannot read app.asar; the app keeps its own copy there.
    { from: 'out/renderer', to: 'ui' },
  ],
  asar: true,
  asarUnpack: [
    '**/*.node',
    // What the `outpost` command reads from disk: the built CLI, zeromq (its addon and loader) and
    // node-forge (Gorgone's RSA worker requires it by path).
    'out/cli/**',
    'node_modules/{zeromq,cmake-ts,node-forge}/**',
  ],
  // Every native dependency is an N-API prebuild: nothing to rebuild against Electron's headers.
  npmRebuild: false,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,

  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    grantFileProtocolExtraPrivileges: false,
  },

  beforePack: 'build/hooks/before-pack.cjs',
  afterPack: 'build/hooks/after-pack.cjs',
  msiProjectCreated: 'build/hooks/msi-project.cjs',
  publish: publish(),

  win: {
    // NSIS, which updates itself. The MSI has its own configuration without an update feed:
    // build/electron-builder.msi.cjs (issue #15 item 10).
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
    icon: 'build/icons/icon.ico',
    files: filesFor('win32'),
    signExts: ['.node'],
    // electron-updater checks that an update is signed by this publisher before running it.
    verifyUpdateCodeSignature: win.method !== 'none',
    ...(win.method === 'azure-trusted-signing'
      ? {
          azureSignOptions: {
            endpoint: env.AZURE_SIGNING_ENDPOINT,
            codeSigningAccountName: env.AZURE_SIGNING_ACCOUNT,
            certificateProfileName: env.AZURE_SIGNING_PROFILE,
            // Required by the schema; signing.cjs refuses Azure credentials without it.
            publisherName,
          },
        }
      : {
          signtoolOptions: {
            signingHashAlgorithms: ['sha256'],
            rfc3161TimeStampServer: env.WIN_TIMESTAMP_URL || 'http://timestamp.digicert.com',
            ...(publisherName ? { publisherName } : {}),
          },
        }),
  },
  nsis: {
    // Assisted installer: the user picks "just me" (no admin) or "all users"; /S installs silently,
    // per user by default, per machine with /allusers. build/installer.nsh writes the seed.
    oneClick: false,
    perMachine: false,
    allowElevation: true,
    allowToChangeInstallationDirectory: true,
    include: 'build/installer.nsh',
    license: 'build/license.txt',
    installerIcon: 'build/icons/icon.ico',
    uninstallerIcon: 'build/icons/icon.ico',
    createDesktopShortcut: false,
    createStartMenuShortcut: true,
    deleteAppDataOnUninstall: false,
    artifactName: '${productName}-Setup-${version}.${ext}',
  },
  msi: {
    // For GPO / Intune / SCCM: per machine, silent with msiexec /qn and the seed as MSI properties.
    // Updated from the MSI channel (the next MSI, deployed the same way), never by the app.
    perMachine: true,
    oneClick: true,
    createDesktopShortcut: false,
    createStartMenuShortcut: true,
    upgradeCode: '6f1f3a52-4b8e-4f0e-9c59-0b3c7f2d9a41',
    artifactName: '${productName}-${version}-${arch}.${ext}',
  },

  mac: {
    // x64 and arm64 apart rather than universal: each app carries only its CPU's zeromq addon,
    // and electron-updater picks the right archive per CPU.
    target: [
      { target: 'dmg', arch: ['x64', 'arm64'] },
      { target: 'pkg', arch: ['x64', 'arm64'] },
      { target: 'zip', arch: ['x64', 'arm64'] },
    ],
    category: 'public.app-category.utilities',
    icon: 'build/icons/icon.icns',
    files: filesFor('darwin'),
    hardenedRuntime: true,
    gatekeeperAssess: false,
    entitlements: 'build/entitlements.mac.plist',
    entitlementsInherit: 'build/entitlements.mac.inherit.plist',
    // No Developer ID: ad-hoc signature ('-'), never none. Flipping the fuses rewrites the
    // Electron Framework binary, whose original signature is then invalid, and arm64 Macs
    // refuse to run unsigned code (issue #15 item 2; electron/fuses "Apple Silicon").
    // electron-builder: '-' is ad-hoc signing, null skips signing entirely (MacConfiguration.identity);
    // ad-hoc + hardened runtime needs disable-library-validation, which the entitlements grant.
    ...(mac.method === 'none' ? { identity: '-' } : {}),
    notarize: mac.notarize,
    // Electron 44+ needs macOS 13 (docs/breaking-changes.md "Removed: macOS 12 support").
    minimumSystemVersion: '13.0',
  },
  dmg: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  pkg: {
    artifactName: '${productName}-${version}-${arch}.${ext}',
    installLocation: '/Applications',
    allowAnywhere: false,
    allowCurrentUserHome: false,
    isRelocatable: false,
    license: 'build/license.txt',
    // postinstall links /usr/local/bin/outpost to the app's command (issue #17).
    scripts: 'pkg-scripts',
  },

  linux: {
    // The AppImage, the Linux package that updates itself. The .deb, the documented one, has its
    // own configuration without an update feed: build/electron-builder.deb.cjs (issue #15 items 4, 9).
    target: [{ target: 'AppImage', arch: ['x64', 'arm64'] }],
    icon: 'build/icons/png',
    files: filesFor('linux'),
    category: 'Network',
    executableName: 'outpost',
    maintainer: 'Outpost contributors',
    synopsis: 'Monitoring agent for Centreon, Pandora FMS, Icinga 2 and OnSphere',
  },
  appImage: { artifactName: '${productName}-${version}-${arch}.${ext}' },
  deb: { packageName: 'outpost', artifactName: '${name}_${version}_${arch}.${ext}' },
};
