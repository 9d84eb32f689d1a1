import { Body, Controller, HttpCode, Post, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { IsArray, IsOptional, IsString, Length, Matches } from 'class-validator';
import { UAI_PATTERN } from '@ent/contract';
import { ConnectorAuthGuard } from '../connector/connector-auth.guard';
import { problems } from '../problems';
import { AccountDirectory } from './account-directory';

class SimAccount {
  @IsString() @Length(1, 256) userId: string;
  @IsOptional() @IsArray() @Matches(UAI_PATTERN, { each: true }) uais?: string[];
}

class SimLogin {
  @IsString() @Length(1, 256) userId: string;
}

/**
 * The simulator's own controls (not contract): what the académie's directory and a teacher do
 * in a real ENT — create her account, log her in — so that tests can play a summer.
 */
@ApiExcludeController()
@UseGuards(ConnectorAuthGuard)
@Controller('sim/v1')
export class SimController {
  constructor(private readonly accounts: AccountDirectory) {}

  @Post('accounts')
  @HttpCode(200)
  createAccount(@Body() body: SimAccount) {
    return this.accounts.create(body.userId, body.uais ?? []);
  }

  @Post('logins')
  @HttpCode(200)
  async login(@Body() body: SimLogin) {
    if (!this.accounts.knows(body.userId)) throw problems.notFound(`no account for ${body.userId} in this ENT`);
    return { delivered: await this.accounts.login(body.userId) };
  }
}
