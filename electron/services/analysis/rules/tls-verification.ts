/**
 * TLS certificate or host name verification switched off — CWE-295.
 */
import { JS_FAMILY } from '../types';
import { cwe, type Rule } from './rule';

/** Rules for disabled certificate checks. */
export const tlsVerificationRules: ReadonlyArray<Rule> = [
  {
    id: 'python.tls-verification.verify-false',
    title: 'Certificate verification disabled (verify=False)',
    category: 'tls-verification',
    severity: 'high',
    cwe: [cwe(295)],
    languages: ['python'],
    query: `(call arguments: (argument_list (keyword_argument name: (identifier) @k value: (false)) @finding) (#eq? @k "verify"))`,
    message: 'verify=False accepts any certificate, so anyone on the network path can read and alter the traffic.',
    remediation: 'Leave verify at its default, or point it at a CA bundle: verify="/path/to/ca.pem".',
  },
  {
    id: 'python.tls-verification.unverified-context',
    title: 'Unverified SSL context',
    category: 'tls-verification',
    severity: 'high',
    cwe: [cwe(295)],
    languages: ['python'],
    calls: ['ssl._create_unverified_context', 'ssl._create_stdlib_context'],
    query: `(keyword_argument name: (identifier) @k value: (_) @v (#eq? @k "cert_reqs")) @finding
      (assignment right: (attribute attribute: (identifier) @k) (#eq? @k "_create_unverified_context")) @finding
      (assignment left: (attribute attribute: (identifier) @k) right: (_) @v (#any-of? @k "verify_mode" "check_hostname")) @finding`,
    predicate: (m) => {
      const value = m.capture('v');
      if (value === undefined) return true;
      return value.type === 'false' || /CERT_NONE|CERT_OPTIONAL/.test(value.text) || /^(NONE|CERT_NONE|OPTIONAL|CERT_OPTIONAL)$/.test(m.code.stringValue(value) ?? '');
    },
    message: 'The SSL context does not check certificates or host names, so the connection can be intercepted.',
    remediation: 'Use ssl.create_default_context() and keep check_hostname=True and verify_mode=CERT_REQUIRED.',
  },
  {
    id: 'js.tls-verification.reject-unauthorized',
    title: 'Certificate verification disabled',
    category: 'tls-verification',
    severity: 'high',
    cwe: [cwe(295)],
    languages: JS_FAMILY,
    query: `(pair key: [(property_identifier) @k (string (string_fragment) @k)] value: (_) @v
        (#any-of? @k "rejectUnauthorized" "strictSSL")) @finding
      (assignment_expression
        left: [(member_expression property: (property_identifier) @k) (subscript_expression index: (string (string_fragment) @k))]
        right: (_) @v
        (#eq? @k "NODE_TLS_REJECT_UNAUTHORIZED")) @finding`,
    predicate: (m) => {
      const key = m.capture('k');
      const value = m.capture('v');
      if (key === undefined || value === undefined) return false;
      if (key.text === 'NODE_TLS_REJECT_UNAUTHORIZED') return m.code.stringValue(value) === '0' || value.text === '0';
      return value.type === 'false' || (value.type === 'number' && Number(value.text) === 0);
    },
    message: 'Turning off rejectUnauthorized / NODE_TLS_REJECT_UNAUTHORIZED accepts any certificate, so the traffic can be intercepted.',
    remediation: 'Keep verification on; for a private CA pass it with the `ca` option or NODE_EXTRA_CA_CERTS.',
  },
  {
    id: 'js.tls-verification.grpc-insecure',
    title: 'gRPC channel without TLS',
    category: 'tls-verification',
    severity: 'medium',
    cwe: [cwe(319), cwe(295)],
    languages: JS_FAMILY,
    calls: ['grpc.credentials.createInsecure', '@grpc/grpc-js.credentials.createInsecure', 'grpc.ServerCredentials.createInsecure', '@grpc/grpc-js.ServerCredentials.createInsecure'],
    message: 'createInsecure() sends the gRPC calls, credentials and data in them included, in clear text that anyone on the path can read and change.',
    remediation: 'Use grpc.credentials.createSsl(rootCerts) for clients and ServerCredentials.createSsl(...) for servers (plain text only on a loopback or a trusted mesh that adds mTLS).',
  },
  {
    id: 'python.tls-verification.grpc-insecure',
    title: 'gRPC channel without TLS',
    category: 'tls-verification',
    severity: 'medium',
    cwe: [cwe(319), cwe(295)],
    languages: ['python'],
    calls: ['grpc.insecure_channel', 'grpc.aio.insecure_channel'],
    predicate: (m) => {
      // a channel to this machine's loopback never leaves it
      const target = m.code.argument(m.capture('finding'), 0);
      const value = target === undefined ? undefined : m.code.valueOf(target).value;
      return !(typeof value === 'string' && /^(localhost|127\.0\.0\.1|\[::1\]|unix:)/.test(value));
    },
    message: 'insecure_channel() sends the gRPC calls, credentials and data in them included, in clear text that anyone on the path can read and change.',
    remediation: 'Use grpc.secure_channel(target, grpc.ssl_channel_credentials()).',
  },
];
