import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who recorded each consent (as audit_events.actor_id: a customer id, or a staff member's or
 * service's subject), so a customer's own view can leave out the IP address of a change
 * someone else made, as their audit trail does.
 */
export class ConsentActor1764510000000 implements MigrationInterface {
  name = 'ConsentActor1764510000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE consent_log ADD COLUMN actor_id VARCHAR(255)');
    // Existing records: the audit row of the same change was written in the same transaction,
    // so it carries the same now(). Records whose audit row retention has deleted stay unknown.
    await q.query(`
      UPDATE consent_log l SET actor_id = e.actor_id
        FROM audit_events e
       WHERE e.customer_id = l.customer_id AND e.event_type = 'customer.preferences.update' AND e.created_at = l.recorded_at`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE consent_log DROP COLUMN actor_id');
  }
}
