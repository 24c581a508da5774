import { Type, type Static } from '@sinclair/typebox';
import type { Db } from './database.js';

/** Settings an admin may change at run time (GET/PATCH /api/v1/config). */
export const RuntimeSettingsSchema = Type.Object(
  {
    allowGuests: Type.Boolean(),
    allowRegistration: Type.Boolean(),
    /** Bitrate clients should encode at, bits/s. */
    defaultBitrate: Type.Integer({ minimum: 6000, maximum: 510000 }),
    frameMs: Type.Union([Type.Literal(10), Type.Literal(20), Type.Literal(40), Type.Literal(60)]),
    /** Default user limit of channels without their own (0 = none). */
    maxUsersPerChannel: Type.Integer({ minimum: 0, maximum: 100000 }),
  },
  { additionalProperties: false },
);
export type RuntimeSettings = Static<typeof RuntimeSettingsSchema>;

/** Runtime settings: defaults from the config file, overrides in the database. */
export class SettingsStore {
  private current: RuntimeSettings;

  constructor(
    private readonly db: Db,
    defaults: RuntimeSettings,
  ) {
    this.current = { ...defaults };
  }

  get(): Readonly<RuntimeSettings> {
    return this.current;
  }

  async load(): Promise<void> {
    const rows = await this.db.selectFrom('settings').selectAll().execute();
    const next: Record<string, unknown> = { ...this.current };
    for (const r of rows) if (r.key in next) next[r.key] = JSON.parse(r.value) as unknown;
    this.current = next as RuntimeSettings;
  }

  /**
   * Writes a validated patch through `db` (pass the caller's transaction)
   * and, once written, makes it current. Call `apply` after the commit.
   */
  async write(db: Db, p: Partial<RuntimeSettings>): Promise<void> {
    for (const [key, value] of Object.entries(p)) {
      const v = JSON.stringify(value);
      await db
        .insertInto('settings')
        .values({ key, value: v })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: v }))
        .execute();
    }
  }

  /** Makes a written patch current. */
  apply(p: Partial<RuntimeSettings>): RuntimeSettings {
    this.current = { ...this.current, ...p };
    return this.current;
  }
}
