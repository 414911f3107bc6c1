import { ApiProperty } from '@nestjs/swagger';

export class ProviderStatusDto {
  @ApiProperty({ enum: ['openai', 'anthropic', 'gemini', 'scripted'], example: 'openai' })
  key: string;

  @ApiProperty({ example: 'OpenAI' })
  name: string;

  @ApiProperty({ example: 'OpenAI chat-completions and embeddings models (openai/<model>).' })
  description: string;

  @ApiProperty({ description: 'True when the credentials the provider needs are configured.' })
  available: boolean;

  @ApiProperty({ example: "Provider 'OpenAI' is available." })
  message: string;
}
