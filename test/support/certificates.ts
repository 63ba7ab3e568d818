import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** PEM text of a test CA and of a server and a client certificate it signed. */
export interface TestCertificates {
  readonly ca: string;
  readonly server: { readonly cert: string; readonly key: string };
  readonly client: { readonly cert: string; readonly key: string };
  /** A client certificate from another CA, which a receiver trusting only `ca` refuses. */
  readonly stranger: { readonly cert: string; readonly key: string };
}

/**
 * Makes a CA, a server certificate for 127.0.0.1 and client certificates with openssl, in a temporary folder that is
 * removed at once: nothing is committed, and every run has keys of its own.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'twh-certs-'));
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  try {
    const authority = (name: string): void =>
      openssl('req', '-x509', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`);
    const signed = (name: string, ca: string, extensions: string): void => {
      openssl('req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(dir, `${name}.ext`), extensions);
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${ca}.crt`,
        '-CAkey',
        `${ca}.key`,
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      );
    };
    authority('test-ca');
    authority('other-ca');
    signed('receiver', 'test-ca', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    signed('gateway', 'test-ca', 'extendedKeyUsage=clientAuth\n');
    signed('stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
    const pem = (file: string): string => readFileSync(join(dir, file), 'utf8');
    const pair = (name: string) => ({ cert: pem(`${name}.crt`), key: pem(`${name}.key`) });
    return { ca: pem('test-ca.crt'), server: pair('receiver'), client: pair('gateway'), stranger: pair('stranger') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
