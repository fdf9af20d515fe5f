import { Module } from '@nestjs/common';
import { AdminUsersRepository } from '@tollgate/persistence';
import { repositoryProviders } from '../repository-providers';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminAuthService } from './admin-auth.service';
import { AdminCsrf } from './admin-csrf';
import { AdminLoginThrottle } from './admin-login-throttle';

/** Admin identities (sessions, API tokens), CSRF, the sign-in throttle and the guard; separate from merchant authentication. */
@Module({
  providers: [...repositoryProviders(AdminUsersRepository), AdminAuthService, AdminCsrf, AdminAuthGuard, AdminLoginThrottle],
  exports: [AdminAuthService, AdminCsrf, AdminAuthGuard, AdminLoginThrottle],
})
export class AdminAuthModule {}
