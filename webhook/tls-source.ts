/**
 * Where the serving certificate comes from: files (a mounted Secret, cert-manager, `--tls-cert`) or
 * the self-issued mode's Secret watched through the API. Either way the server gets the first
 * material before it listens, and every later one to swap in for new handshakes.
 */
import { FileReloader } from "./file-reloader.js";
import { loadTlsMaterial, type TlsMaterial } from "./tls-material.js";

export interface TlsSource {
  /** Resolves with the first valid material; `onChange` gets every later one, `onError` rejected ones. */
  start(onChange: (material: TlsMaterial) => void, onError: (error: Error) => void): Promise<TlsMaterial>;
  /** Re-reads now, where that means something (files). */
  reload?(): Promise<void>;
  close(): Promise<void>;
}

export function fileTlsSource(certFile: string, keyFile: string, tuning: { debounceMs?: number; resyncMs?: number } = {}): TlsSource {
  let reloader: FileReloader<TlsMaterial> | undefined;
  return {
    async start(onChange, onError) {
      let initial = true;
      reloader = new FileReloader<TlsMaterial>({
        name: "TLS",
        files: [certFile, keyFile],
        load: loadTlsMaterial,
        onApply: (material) => {
          if (!initial) onChange(material);
        },
        onError,
        ...tuning,
      });
      const first = await reloader.start();
      initial = false;
      return first;
    },
    async reload() {
      await reloader?.reload();
    },
    async close() {
      await reloader?.close();
    },
  };
}
