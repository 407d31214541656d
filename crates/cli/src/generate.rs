//! Deterministic generated mainland-China supply-chain data for the demo and load tests:
//! accounts with valid unified social credit codes (GB 32100), contacts with valid mobiles and
//! resident ID numbers (GB 11643, real GB/T 2260 area codes), orders with lines, shipments,
//! contracts, settlements and tickets. The same `n` always gives the same data.

use anyhow::{Context as _, Result};
use bulwark_domain::validate::{credit_code_check_char, resident_id_check_char};
use bulwark_domain::{Entity, Value, value};
use bulwark_store::NewRecord;

const AREAS: &str = include_str!("../../../data/china-division/areas.csv");
const CITIES: &str = include_str!("../../../data/china-division/cities.csv");
const PROVINCES: &str = include_str!("../../../data/china-division/provinces.csv");

/// SplitMix64: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

struct Area {
    code: String,
    name: String,
    city: String,
    province: String,
}

fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

fn load_areas() -> Result<Vec<Area>> {
    let mut provinces = std::collections::HashMap::new();
    for line in PROVINCES.lines().skip(1) {
        if let Some((code, name)) = line.split_once(',') {
            provinces.insert(code.to_string(), unquote(name));
        }
    }
    let mut cities = std::collections::HashMap::new();
    for line in CITIES.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() >= 2 {
            cities.insert(cols[0].to_string(), unquote(cols[1]));
        }
    }
    let mut out = Vec::new();
    for line in AREAS.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.len() < 4 {
            continue;
        }
        let province = provinces.get(cols[3]).cloned().unwrap_or_default();
        let mut city = cities.get(cols[2]).cloned().unwrap_or_default();
        if city == "市辖区" || city == "县" {
            city = province.clone();
        }
        out.push(Area {
            code: cols[0].to_string(),
            name: unquote(cols[1]),
            city,
            province,
        });
    }
    anyhow::ensure!(!out.is_empty(), "no GB/T 2260 areas embedded");
    Ok(out)
}

const NAME_HEADS: &[&str] = &[
    "华", "恒", "鑫", "远", "通", "达", "盛", "泰", "瑞", "丰", "嘉", "宏", "安", "捷", "运", "顺",
];
const INDUSTRIES: &[&str] = &[
    "物流",
    "贸易",
    "制造",
    "供应链",
    "电子",
    "化工",
    "食品",
    "机械",
    "纺织",
    "医药",
];
const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "军", "强", "丽", "涛", "明", "超",
    "霞", "平", "刚", "桂英",
];
const TITLES: &[&str] = &[
    "采购经理",
    "总经理",
    "仓储主管",
    "财务主管",
    "物流专员",
    "运营总监",
];
const ROADS: &[&str] = &[
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "长江路",
    "工业大道",
    "科技园路",
];
const CARRIERS: &[&str] = &["顺丰速运", "中通快递", "德邦物流", "京东物流", "中国邮政"];
const CREDIT_CHARSET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Largest number of accounts the demo field staff user is assigned.
pub const MAX_FIELD_VISITS: usize = 200;

/// Who owns and works the generated accounts.
pub struct People {
    /// Sales users that own accounts, round-robin.
    pub owners: Vec<String>,
    /// The demo `sales` user: owns every 10th account.
    pub demo_sales: Option<String>,
    /// The demo `field_staff` user: assigned every 20th account, at most
    /// [`MAX_FIELD_VISITS`] (a realistic visit list, also with `--generate 100000`).
    pub field_staff: Option<String>,
    /// The demo `after_sales` user: assignee of every generated ticket.
    pub after_sales: Option<String>,
    /// Product ids and unit prices (cents) to order.
    pub products: Vec<(String, i64)>,
}

fn rec(entity: Entity, values: Vec<(&'static str, Value)>) -> NewRecord {
    NewRecord {
        entity,
        id: uuid::Uuid::now_v7().to_string(),
        values,
    }
}

fn t(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn date(rng: &mut Rng, year: i32) -> String {
    format!("{year}-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
}

fn credit_code(rng: &mut Rng, area: &str) -> Result<String> {
    let mut first: String = format!("91{area}");
    for _ in 0..9 {
        first.push(char::from(*rng.pick(CREDIT_CHARSET)));
    }
    let c = credit_code_check_char(&first).context("credit code check char")?;
    first.push(c);
    Ok(first)
}

fn resident_id(rng: &mut Rng, area: &str) -> Result<String> {
    let first = format!(
        "{area}{}{:02}{:02}{}",
        1960 + rng.below(40),
        1 + rng.below(12),
        1 + rng.below(28),
        rng.digits(3)
    );
    let c = resident_id_check_char(&first).context("resident id check char")?;
    Ok(format!("{first}{c}"))
}

fn mobile(rng: &mut Rng) -> String {
    format!("1{}{}", 3 + rng.below(7), rng.digits(9))
}

/// Generated records (references first) and account assignments `(account id, user id)`.
pub type Generated = (Vec<NewRecord>, Vec<(String, String)>);

/// Generates `n` accounts and their related records (references first), plus assignments.
pub fn generate(n: u32, people: &People) -> Result<Generated> {
    let areas = load_areas()?;
    let mut rng = Rng(0x00B0_1A2C_2026);
    let mut records = Vec::new();
    let mut assignments = Vec::new();
    let mut later = Vec::new();
    for i in 0..n as usize {
        let area = &areas[rng.below(areas.len())];
        let owner = if i % 10 == 0 {
            people.demo_sales.clone()
        } else if people.owners.is_empty() {
            None
        } else {
            Some(people.owners[i % people.owners.len()].clone())
        };
        let name = format!(
            "{}{}{}{}有限公司",
            area.city.trim_end_matches('市'),
            rng.pick(NAME_HEADS),
            rng.pick(NAME_HEADS),
            rng.pick(INDUSTRIES)
        );
        let address = format!(
            "{}{}{}{}{}号",
            area.province,
            if area.city == area.province {
                ""
            } else {
                &area.city
            },
            area.name,
            rng.pick(ROADS),
            1 + rng.below(999)
        );
        let mut acc = vec![
            ("name", t(name)),
            ("credit_code", t(credit_code(&mut rng, &area.code)?)),
            ("industry", t(*rng.pick(INDUSTRIES))),
            ("region", t(area.province.clone())),
            ("city", t(area.city.clone())),
            ("country", t("中国")),
            ("address", t(address.clone())),
            (
                "phone",
                t(format!("0{}-{}", 10 + rng.below(900), rng.digits(8))),
            ),
            (
                "credit_limit",
                Value::Int(((1 + rng.below(500)) * 1_000_000) as i64),
            ),
            ("external_id", t(format!("GEN-A{i:07}"))),
        ];
        if let Some(o) = &owner {
            acc.push(("owner_id", t(o.clone())));
        }
        let account = rec(Entity::Accounts, acc);
        let account_id = account.id.clone();
        records.push(account);
        if i % 20 == 0
            && assignments.len() < MAX_FIELD_VISITS
            && let Some(fs) = &people.field_staff
        {
            assignments.push((account_id.clone(), fs.clone()));
        }
        let person = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let contact = rec(
            Entity::Contacts,
            vec![
                ("account_id", t(account_id.clone())),
                ("name", t(person.clone())),
                ("title", t(*rng.pick(TITLES))),
                ("mobile", t(mobile(&mut rng))),
                (
                    "phone",
                    t(format!("+86 {} {}", 10 + rng.below(900), rng.digits(8))),
                ),
                ("email", t(format!("contact{i}@example.cn"))),
                ("id_number", t(resident_id(&mut rng, &area.code)?)),
                ("external_id", t(format!("GEN-C{i:07}"))),
            ],
        );
        let contact_id = contact.id.clone();
        records.push(contact);
        // An order with one to three lines, and its shipment.
        let status = *rng.pick(&["confirmed", "shipped", "delivered", "delivered"]);
        let mut ord = vec![
            ("order_no", t(format!("SO2026{i:07}"))),
            ("account_id", t(account_id.clone())),
            ("status", t(status)),
            ("order_date", t(date(&mut rng, 2026))),
            ("delivery_date", t(date(&mut rng, 2026))),
            ("currency", t("CNY")),
            ("external_id", t(format!("GEN-O{i:07}"))),
        ];
        if let Some(o) = &owner {
            ord.push(("owner_id", t(o.clone())));
        }
        let mut total = 0_i64;
        let order_id = uuid::Uuid::now_v7().to_string();
        let mut lines = Vec::new();
        if !people.products.is_empty() {
            for _ in 0..1 + rng.below(3) {
                let (pid, price) = rng.pick(&people.products).clone();
                let qty = 1 + rng.below(100) as i64;
                let disc = *rng.pick(&[0_i64, 0, 500, 1000]);
                let amount = value::line_amount(qty, price, disc).unwrap_or(0);
                total += amount;
                lines.push(rec(
                    Entity::OrderLines,
                    vec![
                        ("order_id", t(order_id.clone())),
                        ("account_id", t(account_id.clone())),
                        ("product_id", t(pid)),
                        ("quantity", Value::Int(qty)),
                        ("unit_price", Value::Int(price)),
                        ("discount", Value::Int(disc)),
                        ("amount", Value::Int(amount)),
                    ],
                ));
            }
        }
        ord.push(("total_amount", Value::Int(total)));
        records.push(NewRecord {
            entity: Entity::Orders,
            id: order_id.clone(),
            values: ord,
        });
        records.extend(lines);
        records.push(rec(
            Entity::Shipments,
            vec![
                ("order_id", t(order_id.clone())),
                ("account_id", t(account_id.clone())),
                ("carrier", t(*rng.pick(CARRIERS))),
                ("tracking_no", t(format!("SF{}", rng.digits(12)))),
                ("consignee_name", t(person.clone())),
                ("consignee_phone", t(mobile(&mut rng))),
                ("address", t(address)),
                (
                    "status",
                    t(if status == "confirmed" {
                        "pending"
                    } else {
                        "delivered"
                    }),
                ),
                ("shipped_date", t(date(&mut rng, 2026))),
                ("freight", Value::Int((1 + rng.below(2000)) as i64 * 100)),
            ],
        ));
        if i % 2 == 0 {
            later.push(rec(
                Entity::Contracts,
                vec![
                    ("contract_no", t(format!("HT2026{i:07}"))),
                    ("account_id", t(account_id.clone())),
                    ("title", t("年度供货框架协议")),
                    (
                        "terms",
                        t("付款方式：月结30天；违约金：合同金额的5%；质保期：12个月。"),
                    ),
                    (
                        "value",
                        Value::Int((1 + rng.below(1000)) as i64 * 1_000_000),
                    ),
                    ("start_date", t("2026-01-01")),
                    ("end_date", t("2026-12-31")),
                    (
                        "status",
                        t(*rng.pick(&["active", "active", "draft", "expired"])),
                    ),
                ],
            ));
            later.push(rec(
                Entity::Settlements,
                vec![
                    ("invoice_no", t(format!("INV2026{i:07}"))),
                    ("account_id", t(account_id.clone())),
                    ("order_id", t(order_id.clone())),
                    ("amount", Value::Int(total)),
                    ("bank_account", t(format!("6222{}", rng.digits(15)))),
                    (
                        "status",
                        t(*rng.pick(&["pending", "invoiced", "paid", "overdue"])),
                    ),
                    ("due_date", t(date(&mut rng, 2026))),
                ],
            ));
        }
        if i % 5 == 0 {
            let mut ticket = vec![
                ("account_id", t(account_id.clone())),
                ("contact_id", t(contact_id)),
                (
                    "subject",
                    t(*rng.pick(&["货物破损", "延迟到货", "发票抬头错误", "数量短缺"])),
                ),
                ("description", t("客户反馈，请跟进处理。")),
                (
                    "status",
                    t(*rng.pick(&["open", "in_progress", "resolved", "closed"])),
                ),
                (
                    "priority",
                    t(*rng.pick(&["low", "normal", "high", "urgent"])),
                ),
            ];
            if let Some(a) = &people.after_sales {
                ticket.push(("assignee_id", t(a.clone())));
            }
            later.push(rec(Entity::Tickets, ticket));
        }
    }
    records.extend(later);
    Ok((records, assignments))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use bulwark_domain::validate::{CreditCode, Mobile, ResidentId};

    fn people() -> People {
        People {
            owners: vec!["0190a0a0-0000-7000-8000-000000000001".into()],
            demo_sales: Some("0190a0a0-0000-7000-8000-000000000002".into()),
            field_staff: Some("0190a0a0-0000-7000-8000-000000000003".into()),
            after_sales: None,
            products: vec![("0190a0a0-0000-7000-8000-000000000004".into(), 1800)],
        }
    }

    fn text<'a>(r: &'a NewRecord, f: &str) -> &'a str {
        r.values
            .iter()
            .find(|(n, _)| *n == f)
            .and_then(|(_, v)| v.as_text())
            .unwrap()
    }

    #[test]
    fn generated_identifiers_are_valid_and_deterministic() {
        let (a, assign) = generate(40, &people()).unwrap();
        let (b, _) = generate(40, &people()).unwrap();
        let names = |v: &[NewRecord]| {
            v.iter()
                .filter(|r| r.entity == Entity::Accounts)
                .map(|r| text(r, "name").to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&a), names(&b));
        assert_eq!(
            a.iter().filter(|r| r.entity == Entity::Accounts).count(),
            40
        );
        assert_eq!(assign.len(), 2);
        for r in &a {
            match r.entity {
                Entity::Accounts => {
                    CreditCode::parse(text(r, "credit_code")).unwrap();
                }
                Entity::Contacts => {
                    Mobile::parse(text(r, "mobile")).unwrap();
                    ResidentId::parse(text(r, "id_number")).unwrap();
                }
                _ => {}
            }
        }
    }

    #[test]
    fn every_generated_value_passes_the_api_validators() {
        let (recs, _) = generate(25, &people()).unwrap();
        for r in &recs {
            let def = r.entity.def();
            for (name, v) in &r.values {
                let f = def.field(name).unwrap();
                if f.write == bulwark_domain::catalogue::Write::Server
                    || matches!(f.kind, bulwark_domain::catalogue::FieldKind::Ref(_))
                {
                    continue;
                }
                let json = match (f.kind, v) {
                    (bulwark_domain::catalogue::FieldKind::Int, Value::Int(i)) => {
                        serde_json::json!(i)
                    }
                    _ => serde_json::json!(value::display(f, v).unwrap()),
                };
                value::parse_input(f, &json).unwrap_or_else(|e| panic!("{}.{name}: {e}", r.entity));
            }
        }
    }
}
