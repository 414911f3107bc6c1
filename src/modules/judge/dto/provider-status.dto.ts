import { ApiProperty } from '@nestjs/swagger';

export class ProviderErrorDto {
  @ApiProperty({ example: 'Cannot connect to API: connect ECONNREFUSED 127.0.0.1:1' }) message: string;
  @ApiProperty({ format: 'date-time' }) at: string;
}

export class DroppedSettingDto {
  @ApiProperty({ example: 'anthropic/claude-judge-test' }) model: string;
  @ApiProperty({ example: 'temperature' }) setting: string;
  @ApiProperty({ example: 'temperature is not supported by claude-judge-test and will be ignored' }) details: string;
}

export class ProviderStatusDto {
  @ApiProperty({
    enum: ['openai', 'anthropic', 'google_genai', 'vertex_ai', 'scripted'],
    example: 'openai',
    description: "PandaProbe's dashboard keys: google_genai is the gemini/<model> provider.",
  })
  key: string;

  @ApiProperty({ example: 'OpenAI' })
  name: string;

  @ApiProperty({ example: 'OpenAI chat-completions and embeddings models (openai/<model>).' })
  description: string;

  @ApiProperty({ description: 'True when the credentials the provider needs are configured.' })
  available: boolean;

  @ApiProperty({ example: "Provider 'OpenAI' is available." })
  message: string;

  @ApiProperty({
    enum: ['configured', 'not_configured', 'unreachable'],
    description:
      'not_configured: credentials missing. unreachable: configured, but the last judge call (from any process) got no HTTP answer from the base URL; back to configured after a call gets one.',
  })
  state: string;

  @ApiProperty({ type: String, nullable: true, description: "The configured base URL; null for the provider's own." })
  base_url: string | null;

  @ApiProperty({ type: ProviderErrorDto, nullable: true, description: 'Why the provider is unreachable, else null.' })
  last_error: ProviderErrorDto | null;

  @ApiProperty({
    type: DroppedSettingDto,
    isArray: true,
    description:
      'Settings the AI SDK did not apply as configured for a model used so far (e.g. temperature for a Claude id it does not know).',
  })
  dropped_settings: DroppedSettingDto[];
}
