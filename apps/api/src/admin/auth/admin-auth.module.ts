import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminAuthService } from './admin-auth.service';
import { AdminCsrf } from './admin-csrf';

/** Admin identities (sessions, API tokens), CSRF and the guard; separate from merchant authentication. */
@Module({ providers: [AdminAuthService, AdminCsrf, AdminAuthGuard], exports: [AdminAuthService, AdminCsrf, AdminAuthGuard] })
export class AdminAuthModule {}
