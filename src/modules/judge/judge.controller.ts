import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator';
import { ProviderStatusDto } from './dto/provider-status.dto';
import { JudgeService } from './judge.service';

@ApiTags('evaluations')
@Auth()
@Controller('evaluations')
export class JudgeController {
  constructor(private readonly judge: JudgeService) {}

  @Get('providers')
  @ApiOperation({ summary: 'Judge providers and whether each is configured' })
  @ApiOkResponse({ type: ProviderStatusDto, isArray: true })
  listProviders(): Promise<ProviderStatusDto[]> {
    return this.judge.listProviders();
  }
}
