/** What the proxy settings (proxy-settings.ts, read with the configuration) mean for the API. */
import type { ApiOptions } from './deps.js';
import type { ProxySettings } from './proxy-settings.js';

/** The API's options for these settings. */
export function proxyApiOptions(
  settings: ProxySettings,
): Pick<ApiOptions, 'trustProxy' | 'publicUrl' | 'secureCookies'> {
  return {
    trustProxy: settings.trustedProxies.length > 0 ? settings.trustedProxies : false,
    publicUrl: settings.publicUrl,
    // Customers come through the public address: when it is https, so is every session.
    secureCookies: settings.publicUrl?.startsWith('https:') ? true : 'auto',
  };
}
