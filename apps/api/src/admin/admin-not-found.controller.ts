import { All, Controller, NotFoundException, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { AdminPageFilter, AdminPageResponder } from './admin-page-responder';
import { AdminRequest, identifyAdmin } from './auth/admin-auth.guard';
import { AdminAuthService } from './auth/admin-auth.service';

/**
 * Every `/admin/…` path no other route answers (registered last in {@link AdminModule}): a browser gets
 * the console's 404 page (with the navigation when it is signed in), while `/admin/api/…` keeps the API's
 * JSON 404. Public: a path that does not exist reveals nothing, and a signed-out operator who mistyped a
 * link should see "not found" rather than a sign-in page that leads to it.
 */
@ApiExcludeController()
@Controller('admin')
@UseFilters(AdminPageFilter)
export class AdminNotFoundController {
  constructor(
    private readonly auth: AdminAuthService,
    private readonly page: AdminPageResponder,
  ) {}

  @All('*path')
  async notFound(@Req() req: AdminRequest, @Res() res: Response): Promise<void> {
    if (req.path === '/admin/api' || req.path.startsWith('/admin/api/')) {
      res.status(404).json({ statusCode: 404, error: 'Not Found', message: `Cannot ${req.method} ${req.path}` });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new NotFoundException(`Nothing answers ${req.method} ${req.path} in the console.`);
    req.admin = (await identifyAdmin(this.auth, req).catch(() => null)) ?? undefined;
    this.page.notFound(req, res, `The console has no page at ${req.path}.`);
  }
}
