import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Key rotation: `lifetime` is the policy a replacement copies (the expiry of a rotated-out key is
 * its grace end, no longer its policy), `replaced_by` the key that replaced it (a key is rotated
 * once). Existing keys with an expiry were created as 90-day keys.
 */
export class ApiKeyRotation1764000016000 implements MigrationInterface {
  name = 'ApiKeyRotation1764000016000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE api_keys
        ADD COLUMN lifetime varchar(8) NOT NULL DEFAULT 'never' CHECK (lifetime IN ('never', '90d')),
        ADD COLUMN replaced_by uuid REFERENCES api_keys(id) ON DELETE SET NULL`);
    await q.query(`UPDATE api_keys SET lifetime = '90d' WHERE expires_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS replaced_by, DROP COLUMN IF EXISTS lifetime`);
  }
}
