/**
 * Names of the CWE weaknesses Gatehouse's rules and common SARIF tools report, as MITRE's CWE list
 * titles them (cwe.mitre.org, CWE version 4.x). Pure: no Node, DOM or Electron.
 */

const CWE_TITLES: Readonly<Record<number, string>> = {
  20: 'Improper Input Validation',
  22: "Improper Limitation of a Pathname to a Restricted Directory ('Path Traversal')",
  77: "Improper Neutralization of Special Elements used in a Command ('Command Injection')",
  78: "Improper Neutralization of Special Elements used in an OS Command ('OS Command Injection')",
  79: "Improper Neutralization of Input During Web Page Generation ('Cross-site Scripting')",
  89: "Improper Neutralization of Special Elements used in an SQL Command ('SQL Injection')",
  94: "Improper Control of Generation of Code ('Code Injection')",
  95: "Improper Neutralization of Directives in Dynamically Evaluated Code ('Eval Injection')",
  116: 'Improper Encoding or Escaping of Output',
  200: 'Exposure of Sensitive Information to an Unauthorized Actor',
  209: 'Generation of Error Message Containing Sensitive Information',
  250: 'Execution with Unnecessary Privileges',
  259: 'Use of Hard-coded Password',
  269: 'Improper Privilege Management',
  284: 'Improper Access Control',
  287: 'Improper Authentication',
  295: 'Improper Certificate Validation',
  311: 'Missing Encryption of Sensitive Data',
  312: 'Cleartext Storage of Sensitive Information',
  319: 'Cleartext Transmission of Sensitive Information',
  321: 'Use of Hard-coded Cryptographic Key',
  326: 'Inadequate Encryption Strength',
  327: 'Use of a Broken or Risky Cryptographic Algorithm',
  328: 'Use of Weak Hash',
  330: 'Use of Insufficiently Random Values',
  338: 'Use of Cryptographically Weak Pseudo-Random Number Generator (PRNG)',
  352: 'Cross-Site Request Forgery (CSRF)',
  377: 'Insecure Temporary File',
  400: 'Uncontrolled Resource Consumption',
  434: 'Unrestricted Upload of File with Dangerous Type',
  502: 'Deserialization of Untrusted Data',
  532: 'Insertion of Sensitive Information into Log File',
  601: "URL Redirection to Untrusted Site ('Open Redirect')",
  611: 'Improper Restriction of XML External Entity Reference',
  668: 'Exposure of Resource to Wrong Sphere',
  676: 'Use of Potentially Dangerous Function',
  732: 'Incorrect Permission Assignment for Critical Resource',
  798: 'Use of Hard-coded Credentials',
  829: 'Inclusion of Functionality from Untrusted Control Sphere',
  862: 'Missing Authorization',
  913: 'Improper Control of Dynamically-Managed Code Resources',
  918: 'Server-Side Request Forgery (SSRF)',
  1321: "Improperly Controlled Modification of Object Prototype Attributes ('Prototype Pollution')",
  1333: 'Inefficient Regular Expression Complexity',
  1336: 'Improper Neutralization of Special Elements Used in a Template Engine',
};

/** The CWE number in a tag (`external/cwe/cwe-95`, `CWE-95`), or null. */
export function cweNumber(tag: string): number | null {
  const match = /cwe[-_: ]?0*(\d{1,5})$/i.exec(tag.trim());
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** `external/cwe/cwe-95` → `CWE-95`. */
export function cweId(tag: string): string {
  const number = cweNumber(tag);
  return number === null ? tag : `CWE-${number}`;
}

/** The weakness's title, or null when this build does not know it. */
export function cweTitle(tag: string): string | null {
  const number = cweNumber(tag);
  return number === null ? null : (CWE_TITLES[number] ?? null);
}
