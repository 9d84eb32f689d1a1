import { Controller, Get, Inject, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { TrackedPage } from '../infra/dnma-page.interceptor';
import { AttestationService } from '../transfers/attestation';
import { attestationPage, attestationPdf } from './attestation.page';
import { setHtmlHeaders, UiErrorFilter } from './ui.controller';
import { admittedUser, pageContext } from './ui-request';

/** « Attestation de transfert » (HTML and PDF) of a receipted transfer, for its owner only (404 for anybody else). */
@ApiExcludeController()
@Controller('transferts')
@UseFilters(UiErrorFilter)
export class AttestationController {
  constructor(
    private readonly attestations: AttestationService,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get(':id/attestation')
  @TrackedPage('transfer-attestation')
  async page(@Req() req: Request, @Res({ passthrough: true }) res: Response, @Param('id') id: string): Promise<string> {
    const a = await this.attestations.attestation(admittedUser(req, this.config), id);
    setHtmlHeaders(res, this.config.embedding);
    return attestationPage(pageContext(req, this.config), a);
  }

  @Get(':id/attestation.pdf')
  async pdf(@Req() req: Request, @Res() res: Response, @Param('id') id: string): Promise<void> {
    const a = await this.attestations.attestation(admittedUser(req, this.config), id);
    const pdf = attestationPdf(a);
    res.setHeader('Content-Type', 'application/pdf');
    res.setHeader('Content-Disposition', `attachment; filename="attestation-de-transfert-${a.transferId}.pdf"`);
    res.setHeader('Content-Length', String(pdf.length));
    res.setHeader('Cache-Control', 'private, no-store');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.end(pdf);
  }
}
