export * from './accounts.module';
export * from './accounts.service';
export * from './auth.decorators';
export * from './password';
export * from './role-policy';
export * from './session-token';
export * from './session.guard';
export * from './session.service';
