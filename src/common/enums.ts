import { registerEnumType } from 'type-graphql';

// String enums whose values equal their names: the database stores the same text,
// so rows map to GraphQL values without a translation table.

export enum CustomerStatus {
  PENDING = 'PENDING',
  ACTIVE = 'ACTIVE',
  SUSPENDED = 'SUSPENDED',
  DELETED = 'DELETED',
}
export enum CustomerType {
  INDIVIDUAL = 'INDIVIDUAL',
  BUSINESS = 'BUSINESS',
}
export enum Gender {
  MALE = 'MALE',
  FEMALE = 'FEMALE',
  OTHER = 'OTHER',
  UNDISCLOSED = 'UNDISCLOSED',
}
export enum RegistrationSource {
  WEBSITE = 'WEBSITE',
  MOBILE_APP = 'MOBILE_APP',
  ADMIN = 'ADMIN',
  IMPORT = 'IMPORT',
  API = 'API',
  SOCIAL = 'SOCIAL',
}
export enum AddressType {
  SHIPPING = 'SHIPPING',
  BILLING = 'BILLING',
}
export enum AuditSeverity {
  DEBUG = 'DEBUG',
  INFO = 'INFO',
  WARN = 'WARN',
  ERROR = 'ERROR',
  CRITICAL = 'CRITICAL',
}
export enum SortDirection {
  ASC = 'ASC',
  DESC = 'DESC',
}
export enum CustomerOrderField {
  CREATED_AT = 'CREATED_AT',
  LAST_NAME = 'LAST_NAME',
  EMAIL = 'EMAIL',
}
export enum SegmentField {
  TOTAL_ORDERS = 'TOTAL_ORDERS',
  TOTAL_SPENT = 'TOTAL_SPENT',
  AVERAGE_ORDER_VALUE = 'AVERAGE_ORDER_VALUE',
  DAYS_SINCE_LAST_ORDER = 'DAYS_SINCE_LAST_ORDER',
  DAYS_SINCE_REGISTRATION = 'DAYS_SINCE_REGISTRATION',
  CUSTOMER_TYPE = 'CUSTOMER_TYPE',
  STATUS = 'STATUS',
  GROUP_CODE = 'GROUP_CODE',
  COUNTRY_CODE = 'COUNTRY_CODE',
  EMAIL_DOMAIN = 'EMAIL_DOMAIN',
  EMAIL_VERIFIED = 'EMAIL_VERIFIED',
  EMAIL_MARKETING = 'EMAIL_MARKETING',
  AGE = 'AGE',
}
export enum SegmentOperator {
  EQ = 'EQ',
  NEQ = 'NEQ',
  GT = 'GT',
  GTE = 'GTE',
  LT = 'LT',
  LTE = 'LTE',
  IN = 'IN',
  NOT_IN = 'NOT_IN',
  CONTAINS = 'CONTAINS',
}
export enum CustomerEventType {
  CUSTOMER_CREATED = 'CUSTOMER_CREATED',
  CUSTOMER_UPDATED = 'CUSTOMER_UPDATED',
  CUSTOMER_DELETED = 'CUSTOMER_DELETED',
  STATUS_CHANGED = 'STATUS_CHANGED',
  GROUP_CHANGED = 'GROUP_CHANGED',
  ADDRESS_CREATED = 'ADDRESS_CREATED',
  ADDRESS_UPDATED = 'ADDRESS_UPDATED',
  ADDRESS_DELETED = 'ADDRESS_DELETED',
  DEFAULT_ADDRESS_CHANGED = 'DEFAULT_ADDRESS_CHANGED',
  PREFERENCES_UPDATED = 'PREFERENCES_UPDATED',
  EMAIL_VERIFIED = 'EMAIL_VERIFIED',
  TWO_FACTOR_ENABLED = 'TWO_FACTOR_ENABLED',
  TWO_FACTOR_DISABLED = 'TWO_FACTOR_DISABLED',
}

registerEnumType(CustomerStatus, { name: 'CustomerStatus' });
registerEnumType(CustomerType, { name: 'CustomerType' });
registerEnumType(Gender, { name: 'Gender' });
registerEnumType(RegistrationSource, { name: 'RegistrationSource' });
registerEnumType(AddressType, { name: 'AddressType' });
registerEnumType(AuditSeverity, { name: 'AuditSeverity' });
registerEnumType(SortDirection, { name: 'SortDirection' });
registerEnumType(CustomerOrderField, { name: 'CustomerOrderField' });
registerEnumType(SegmentField, { name: 'SegmentField' });
registerEnumType(SegmentOperator, { name: 'SegmentOperator' });
registerEnumType(CustomerEventType, { name: 'CustomerEventType' });
