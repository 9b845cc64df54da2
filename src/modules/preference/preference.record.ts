import type { ColumnMap } from '../../db/columns';

/** The consent channels: each is a boolean column and a CustomerPreferences field of the same name. */
export const CONSENT_CHANNELS = [
  'emailMarketing',
  'smsMarketing',
  'pushNotifications',
  'newsletter',
  'dataSharing',
  'analyticsTracking',
  'cookieConsent',
  'orderUpdates',
  'promotionalEmails',
] as const;
export type ConsentChannel = (typeof CONSENT_CHANNELS)[number];

/** camelCase channel -> snake_case column, written out so no string reaches SQL unchecked. */
export const CHANNEL_COLUMN: Record<ConsentChannel, string> = {
  emailMarketing: 'email_marketing',
  smsMarketing: 'sms_marketing',
  pushNotifications: 'push_notifications',
  newsletter: 'newsletter',
  dataSharing: 'data_sharing',
  analyticsTracking: 'analytics_tracking',
  cookieConsent: 'cookie_consent',
  orderUpdates: 'order_updates',
  promotionalEmails: 'promotional_emails',
};

export type PreferencesRecord = Record<ConsentChannel, boolean> & {
  customerId: string;
  custom: Record<string, unknown>;
  updatedAt: Date;
};

export const PREFERENCES_COLUMN = {
  customerId: 'p.customer_id',
  ...(Object.fromEntries(CONSENT_CHANNELS.map((c) => [c, `p.${CHANNEL_COLUMN[c]}`])) as Record<ConsentChannel, string>),
  custom: 'p.custom_preferences',
  updatedAt: 'p.updated_at',
} satisfies ColumnMap<PreferencesRecord>;

export interface ConsentRecordRow {
  customerId: string;
  channel: string;
  granted: boolean;
  source: string | null;
  ipAddress: string | null;
  /** Who recorded it (as audit rows' actorId); not a GraphQL field. */
  actorId: string | null;
  recordedAt: Date;
}
