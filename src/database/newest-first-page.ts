import type { FindOptionsOrder, FindOptionsWhere, Repository } from 'typeorm';
import type { Paginated } from '../common/dto/pagination.dto';

/** The rows a listing pages through: newest first, the id breaking ties so pages never overlap. */
interface Listed {
  id: string;
  createdAt: Date;
}

/** One page of the rows matching `where`, newest first, and how many match in all. */
export async function newestFirstPage<E extends Listed>(
  repo: Repository<E>,
  where: FindOptionsWhere<E>,
  limit: number,
  offset: number,
): Promise<Paginated<E>> {
  const order = { createdAt: 'DESC', id: 'DESC' } as FindOptionsOrder<E>;
  const [items, total] = await repo.findAndCount({ where, order, take: limit, skip: offset });
  return { items, total, limit, offset };
}
