import { INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfigModule } from './config/config.module';
import { AppConfig } from './config/env';
import { DatabaseModule } from './database/database.module';
import { TenancyModule } from './modules/auth/tenancy.module';

/** A small Nest context (database + tenancy services, no HTTP, no Redis) for command-line tools. */
export async function createTenancyContext(config: AppConfig): Promise<INestApplicationContext> {
  @Module({ imports: [AppConfigModule.forRoot(config), DatabaseModule, TenancyModule] })
  class TenancyContextModule {}
  return NestFactory.createApplicationContext(TenancyContextModule, { logger: ['error'] });
}
