'use strict';
/**
 * What each platform will be signed with, decided from environment variables
 * only (the release workflow sets them from CI secrets; nothing is read from
 * disk). With no credentials the build is unsigned and says so.
 *
 * Windows: Azure Trusted Signing (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 *   AZURE_CLIENT_SECRET + AZURE_SIGNING_ENDPOINT, AZURE_SIGNING_ACCOUNT,
 *   AZURE_SIGNING_PROFILE, and WIN_PUBLISHER_NAME, which it requires) or a PFX
 *   (WIN_CSC_LINK / CSC_LINK with WIN_CSC_KEY_PASSWORD / CSC_KEY_PASSWORD),
 *   publisher WIN_PUBLISHER_NAME.
 * macOS: a Developer ID certificate (CSC_LINK + CSC_KEY_PASSWORD, or CSC_NAME
 *   for one already in the keychain) and notarization with an App Store
 *   Connect API key (APPLE_API_KEY = path of the .p8, APPLE_API_KEY_ID,
 *   APPLE_API_ISSUER).
 */

function has(env, ...names) {
  return names.every((name) => typeof env[name] === 'string' && env[name].trim() !== '');
}

function windowsSigning(env = process.env) {
  if (
    has(
      env,
      'AZURE_TENANT_ID',
      'AZURE_CLIENT_ID',
      'AZURE_CLIENT_SECRET',
      'AZURE_SIGNING_ENDPOINT',
      'AZURE_SIGNING_ACCOUNT',
      'AZURE_SIGNING_PROFILE',
    )
  ) {
    // electron-builder 26's azureSignOptions requires publisherName (app-builder-lib
    // scheme.json WindowsAzureSigningConfiguration): without it the build fails
    // validation, and the updater would have no publisher to check.
    if (!has(env, 'WIN_PUBLISHER_NAME')) {
      throw new Error(
        "[outpost] Azure Trusted Signing needs WIN_PUBLISHER_NAME: the signing certificate's subject CN (e.g. 'Outpost Contributors'), which electron-updater checks updates against",
      );
    }
    return {
      method: 'azure-trusted-signing',
      summary: `Azure Trusted Signing (account ${env.AZURE_SIGNING_ACCOUNT}, profile ${env.AZURE_SIGNING_PROFILE})`,
    };
  }
  if (has(env, 'WIN_CSC_LINK') || has(env, 'CSC_LINK')) {
    return {
      method: 'pfx',
      summary: `PFX certificate from ${has(env, 'WIN_CSC_LINK') ? 'WIN_CSC_LINK' : 'CSC_LINK'}`,
    };
  }
  return {
    method: 'none',
    summary:
      'UNSIGNED: no Azure Trusted Signing (AZURE_*) nor PFX (WIN_CSC_LINK/CSC_LINK) credentials; SmartScreen will warn and electron-updater cannot verify the publisher',
  };
}

function macSigning(env = process.env) {
  const identity = has(env, 'CSC_LINK') || has(env, 'CSC_NAME');
  const notarize = has(env, 'APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER');
  if (!identity) {
    return {
      method: 'none',
      notarize: false,
      summary:
        'UNSIGNED: no Developer ID certificate (CSC_LINK or CSC_NAME); ad-hoc signed only, so Gatekeeper will block the app, it cannot be notarized, shows no notifications and does not update itself',
    };
  }
  return {
    method: 'developer-id',
    notarize,
    summary: notarize
      ? `Developer ID from ${has(env, 'CSC_LINK') ? 'CSC_LINK' : `keychain (${env.CSC_NAME})`}, notarized with API key ${env.APPLE_API_KEY_ID}`
      : 'Developer ID signed but NOT NOTARIZED: set APPLE_API_KEY, APPLE_API_KEY_ID and APPLE_API_ISSUER',
  };
}

function linuxSigning() {
  return {
    method: 'none',
    summary:
      'AppImage and deb are not signed (publish their SHA-512 sums; the update feed carries them)',
  };
}

/** The line the build prints for `platform` ('win32' | 'darwin' | 'linux'). */
function describeSigning(platform, env = process.env) {
  const state =
    platform === 'win32'
      ? windowsSigning(env)
      : platform === 'darwin'
        ? macSigning(env)
        : linuxSigning();
  return `[outpost] signing for ${platform}: ${state.summary}`;
}

module.exports = { windowsSigning, macSigning, linuxSigning, describeSigning };
