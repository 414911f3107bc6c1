import { Body, Controller, Post } from '@nestjs/common';
import { ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../../common/dto/error-response.dto';
import { Answers } from '../../common/http/route.decorators';
import { PublicRoute, UserAuth } from '../auth/decorators/auth.decorator';
import { CurrentUser } from '../auth/decorators/current-project.decorator';
import { UserContext } from '../auth/types/project-context';
import { CliAuthService } from './cli-auth.service';
import { CliCodeResponse, CliCredentialsResponse, CreateCliCodeRequest, ExchangeRequest } from './dto';

@ApiTags('cli-auth')
@Controller('cli/auth')
export class CliAuthController {
  constructor(private readonly cliAuth: CliAuthService) {}

  @Post('codes')
  @UserAuth()
  @Answers.created(CliCodeResponse, {
    summary: "A single-use login code for the CLI (the dashboard's /cli-login page; any member)",
    description:
      'Bound to the caller, the organization, the project and the PKCE S256 challenge; valid 120 s. No key is made here.',
  })
  issue(@CurrentUser() user: UserContext, @Body() body: CreateCliCodeRequest) {
    return this.cliAuth.issue(user, body);
  }

  @Post('exchange')
  @PublicRoute('cliExchange')
  @Answers.ok(CliCredentialsResponse, {
    summary: 'Trade a login code and its PKCE verifier for a 90-day API key (no credentials; per-IP limit)',
    description:
      'A wrong verifier is refused without consuming the code; a code is exchanged once. The key is named ' +
      '"pandaprobe-cli — <label> — <UTC date>".',
  })
  @ApiUnauthorizedResponse({
    description: 'Unknown, expired or used code, or a wrong verifier.',
    type: ErrorResponseDto,
  })
  exchange(@Body() body: ExchangeRequest) {
    return this.cliAuth.exchange(body.code, body.code_verifier);
  }
}
