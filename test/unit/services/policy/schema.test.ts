import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Policy, policyJsonSchema, policyJsonSchemaText } from '../../../../shared/model/policy';
import { defaultPolicyYaml } from '../../../../electron/services/policy';
import { parse } from 'yaml';

describe('published policy JSON Schema', () => {
  it('shared/model/policy.schema.json is the one generated from the zod schema', () => {
    const committed = readFileSync(join(__dirname, '../../../../shared/model/policy.schema.json'), 'utf8');
    // Regenerate with the command in shared/model/policy.ts's header comment.
    expect(committed).toBe(policyJsonSchemaText());
  });

  it('describes the mandatory keys and refuses unknown ones', () => {
    const schema = policyJsonSchema() as { required: string[]; additionalProperties: boolean; properties: Record<string, { required?: string[] }> };
    expect(schema.required.sort()).toEqual(['approvals', 'sandbox', 'sandboxRequired', 'sensitivePaths', 'version']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.approvals?.required).toEqual(['MINIMAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
    expect(schema.properties.sandbox?.required).toEqual(['image', 'testCommand']);
  });

  it('the zod schema accepts the default policy as plain data (what the renderer validates)', () => {
    expect(Policy.safeParse(parse(defaultPolicyYaml())).success).toBe(true);
  });
});
