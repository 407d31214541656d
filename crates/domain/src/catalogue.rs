//! The field catalogue: every entity and every field is declared here once.
//!
//! The store schema, the API's input and output shapes, the sort/filter allow-lists, the
//! OpenAPI document and the policy's access matrix all derive from these declarations, so a
//! field cannot exist in one place and be forgotten in another.

use serde::{Deserialize, Serialize};
use std::fmt;

/// How a field's value is masked for a viewer who may see it only masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskRule {
    /// Phone numbers: country code and the last four digits kept.
    Phone,
    /// Resident identity numbers: first and last character kept.
    IdNumber,
    /// Bank accounts: last four digits kept.
    BankAccount,
    /// E-mail addresses: first character and the domain kept.
    Email,
    /// Person names: surname (or initial) kept.
    PersonName,
    /// Addresses: the leading province/city part kept.
    Address,
    /// Everything hidden behind a fixed placeholder.
    Redact,
}

/// Data classification level of a field (PIPL / Data Security Law grading).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// Ordinary business data.
    General,
    /// Personal or commercially sensitive data.
    Sensitive,
    /// Data whose leak causes serious harm (ID numbers, bank accounts).
    HighlySensitive,
}

impl Classification {
    /// The snake_case name used in the API and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::Sensitive => "sensitive",
            Self::HighlySensitive => "highly_sensitive",
        }
    }
}

/// The type of a field, which decides parsing, storage and JSON representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// The record's own opaque id (UUIDv7 text).
    Id,
    /// Single-line text.
    Text,
    /// Multi-line text.
    LongText,
    /// A person's name.
    PersonName,
    /// A whole number.
    Int,
    /// Money with two decimals: JSON string `"1250.50"`, stored as integer cents.
    Money,
    /// A fraction with up to four decimals (`"0.05"`), stored as integer basis points (1/10000).
    Fraction,
    /// `true`/`false`, stored as 0/1.
    Bool,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// An RFC 3339 UTC timestamp, set by the server.
    Timestamp,
    /// One of a fixed set of values.
    Enum(&'static [&'static str]),
    /// A reference to another record by id.
    Ref(Entity),
    /// A mainland-China mobile number.
    Mobile,
    /// Any phone number as people write it.
    Phone,
    /// An e-mail address.
    Email,
    /// A GB 11643 resident identity number.
    ResidentId,
    /// A GB 32100 unified social credit code.
    CreditCode,
    /// A bank account number.
    BankAccount,
    /// A list of role names (users only).
    RoleList,
}

/// Who may write a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Clients may set it on create and change it on update.
    Client,
    /// Clients may set it on create only.
    CreateOnly,
    /// Only the server sets it (ids, timestamps, derived anchors).
    Server,
}

/// One field of an entity.
#[derive(Debug, Clone, Copy)]
pub struct FieldDef {
    /// snake_case name: JSON key and column name.
    pub name: &'static str,
    /// Type of the value.
    pub kind: FieldKind,
    /// Default classification level.
    pub class: Classification,
    /// Masking rule used when a viewer may see the field only masked.
    pub mask: MaskRule,
    /// Required on create.
    pub required: bool,
    /// Who may write it.
    pub write: Write,
    /// May appear in `sort=` (only for viewers who see it in full).
    pub sortable: bool,
    /// May appear as an equality filter (only for viewers who see it in full).
    pub filterable: bool,
    /// Included in the free-text `q` search (general fields only).
    pub searchable: bool,
    /// Maximum length in characters for text kinds.
    pub max_len: usize,
    /// Smallest allowed value for numeric kinds (in stored units), if any.
    pub min: Option<i64>,
}

impl FieldDef {
    const fn new(name: &'static str, kind: FieldKind) -> Self {
        Self {
            name,
            kind,
            class: Classification::General,
            mask: MaskRule::Redact,
            required: false,
            write: Write::Client,
            sortable: false,
            filterable: false,
            searchable: false,
            max_len: 200,
            min: None,
        }
    }
    const fn min(mut self, min: i64) -> Self {
        self.min = Some(min);
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn sensitive(mut self, mask: MaskRule) -> Self {
        self.class = Classification::Sensitive;
        self.mask = mask;
        self
    }
    const fn highly_sensitive(mut self, mask: MaskRule) -> Self {
        self.class = Classification::HighlySensitive;
        self.mask = mask;
        self
    }
    const fn mask(mut self, mask: MaskRule) -> Self {
        self.mask = mask;
        self
    }
    const fn sort(mut self) -> Self {
        self.sortable = true;
        self.filterable = true;
        self
    }
    /// Sortable but not an equality filter (timestamps: equality on them is meaningless).
    const fn sort_only(mut self) -> Self {
        self.sortable = true;
        self
    }
    const fn filter(mut self) -> Self {
        self.filterable = true;
        self
    }
    const fn search(mut self) -> Self {
        self.searchable = true;
        self
    }
    const fn server(mut self) -> Self {
        self.write = Write::Server;
        self
    }
    const fn create_only(mut self) -> Self {
        self.write = Write::CreateOnly;
        self
    }
    const fn long(mut self, max: usize) -> Self {
        self.max_len = max;
        self
    }

    /// Whether values of this field are stored as integers.
    pub fn is_integer(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Int | FieldKind::Money | FieldKind::Fraction | FieldKind::Bool
        )
    }
}

/// The entities of the CRM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entity {
    /// Customers.
    Accounts,
    /// People at customers.
    Contacts,
    /// Suppliers.
    Suppliers,
    /// Products.
    Products,
    /// Sales orders.
    Orders,
    /// Lines of sales orders.
    OrderLines,
    /// Shipments of orders.
    Shipments,
    /// Contracts with customers.
    Contracts,
    /// Settlements (invoices and payments).
    Settlements,
    /// After-sales tickets.
    Tickets,
    /// Employees.
    Users,
}

/// How records of an entity relate to users, which decides what a record scope means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// The record is an account: scoped by `owner_id`, its assignees and `region`.
    Account,
    /// The record hangs off an account through its `account_id` column.
    ViaAccount,
    /// The record is a user: own = self, team = self and reports, region = same region.
    User,
    /// Reference data with no owner (suppliers, products): any scope means all records.
    Unowned,
}

/// Declaration of one entity.
#[derive(Debug)]
pub struct EntityDef {
    /// The entity.
    pub entity: Entity,
    /// Fields in display order; the first is always `id`.
    pub fields: &'static [FieldDef],
    /// How the records relate to users.
    pub anchor: Anchor,
    /// Default sort field.
    pub default_sort: &'static str,
}

impl EntityDef {
    /// Looks a field up by name.
    pub fn field(&self, name: &str) -> Option<&'static FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

use FieldKind as K;
use MaskRule as M;

const fn id() -> FieldDef {
    FieldDef::new("id", K::Id).server().sort()
}
const fn created_at() -> FieldDef {
    FieldDef::new("created_at", K::Timestamp)
        .server()
        .sort_only()
}
const fn updated_at() -> FieldDef {
    FieldDef::new("updated_at", K::Timestamp)
        .server()
        .sort_only()
}
/// The id of the record in the system it was imported from. Set only by imports (never
/// through the API: a unique key a client could probe would reveal records outside its scope).
const fn external_id() -> FieldDef {
    FieldDef::new("external_id", K::Text).server().filter()
}
const fn account_ref() -> FieldDef {
    FieldDef::new("account_id", K::Ref(Entity::Accounts))
        .required()
        .filter()
}
/// `account_id` copied by the server from the parent record (orders for lines and shipments).
const fn derived_account_ref() -> FieldDef {
    FieldDef::new("account_id", K::Ref(Entity::Accounts))
        .server()
        .filter()
}

const ORDER_STATUS: &[&str] = &["draft", "confirmed", "shipped", "delivered", "cancelled"];
const SHIPMENT_STATUS: &[&str] = &["pending", "in_transit", "delivered", "returned"];
const CONTRACT_STATUS: &[&str] = &["draft", "active", "expired", "terminated"];
const SETTLEMENT_STATUS: &[&str] = &["pending", "invoiced", "paid", "overdue"];
const TICKET_STATUS: &[&str] = &["open", "in_progress", "resolved", "closed"];
const TICKET_PRIORITY: &[&str] = &["low", "normal", "high", "urgent"];
/// Employment status of a user.
pub const USER_STATUS: &[&str] = &["active", "disabled", "left"];

static ACCOUNTS: EntityDef = EntityDef {
    entity: Entity::Accounts,
    anchor: Anchor::Account,
    default_sort: "name",
    fields: &[
        id(),
        FieldDef::new("name", K::Text).required().sort().search(),
        FieldDef::new("credit_code", K::CreditCode).filter(),
        FieldDef::new("industry", K::Text).sort().search(),
        FieldDef::new("region", K::Text).sort(),
        FieldDef::new("city", K::Text).sort().search(),
        FieldDef::new("country", K::Text).sort(),
        FieldDef::new("address", K::Text).mask(M::Address).long(400),
        FieldDef::new("phone", K::Phone).sensitive(M::Phone),
        FieldDef::new("credit_limit", K::Money)
            .sensitive(M::Redact)
            .min(0),
        FieldDef::new("owner_id", K::Ref(Entity::Users)).filter(),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

static CONTACTS: EntityDef = EntityDef {
    entity: Entity::Contacts,
    anchor: Anchor::ViaAccount,
    default_sort: "name",
    fields: &[
        id(),
        account_ref(),
        FieldDef::new("name", K::PersonName)
            .required()
            .mask(M::PersonName)
            .sort()
            .search(),
        FieldDef::new("title", K::Text).sort().search(),
        FieldDef::new("mobile", K::Mobile).sensitive(M::Phone),
        FieldDef::new("phone", K::Phone).sensitive(M::Phone),
        FieldDef::new("email", K::Email).sensitive(M::Email),
        FieldDef::new("id_number", K::ResidentId).highly_sensitive(M::IdNumber),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

static SUPPLIERS: EntityDef = EntityDef {
    entity: Entity::Suppliers,
    anchor: Anchor::Unowned,
    default_sort: "name",
    fields: &[
        id(),
        FieldDef::new("name", K::Text).required().sort().search(),
        FieldDef::new("credit_code", K::CreditCode).filter(),
        FieldDef::new("contact_name", K::PersonName)
            .mask(M::PersonName)
            .search(),
        FieldDef::new("contact_title", K::Text),
        FieldDef::new("phone", K::Phone).sensitive(M::Phone),
        FieldDef::new("address", K::Text).mask(M::Address).long(400),
        FieldDef::new("city", K::Text).sort().search(),
        FieldDef::new("region", K::Text).sort(),
        FieldDef::new("country", K::Text).sort(),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

static PRODUCTS: EntityDef = EntityDef {
    entity: Entity::Products,
    anchor: Anchor::Unowned,
    default_sort: "name",
    fields: &[
        id(),
        FieldDef::new("name", K::Text).required().sort().search(),
        FieldDef::new("supplier_id", K::Ref(Entity::Suppliers)).filter(),
        FieldDef::new("category", K::Text).sort().search(),
        FieldDef::new("quantity_per_unit", K::Text),
        FieldDef::new("unit_price", K::Money).sort().min(0),
        FieldDef::new("units_in_stock", K::Int).sort().min(0),
        FieldDef::new("discontinued", K::Bool).filter(),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

static ORDERS: EntityDef = EntityDef {
    entity: Entity::Orders,
    anchor: Anchor::ViaAccount,
    default_sort: "order_no",
    fields: &[
        id(),
        FieldDef::new("order_no", K::Text)
            .required()
            .sort()
            .search(),
        account_ref(),
        FieldDef::new("owner_id", K::Ref(Entity::Users)).filter(),
        FieldDef::new("status", K::Enum(ORDER_STATUS))
            .required()
            .sort(),
        FieldDef::new("order_date", K::Date).sort(),
        FieldDef::new("delivery_date", K::Date).sort(),
        FieldDef::new("total_amount", K::Money).server(),
        FieldDef::new("currency", K::Text),
        FieldDef::new("note", K::LongText).long(2000),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

static ORDER_LINES: EntityDef = EntityDef {
    entity: Entity::OrderLines,
    anchor: Anchor::ViaAccount,
    default_sort: "id",
    fields: &[
        id(),
        FieldDef::new("order_id", K::Ref(Entity::Orders))
            .required()
            .create_only()
            .filter(),
        derived_account_ref(),
        FieldDef::new("product_id", K::Ref(Entity::Products))
            .required()
            .filter(),
        FieldDef::new("quantity", K::Int).required().min(1),
        FieldDef::new("unit_price", K::Money).required().min(0),
        FieldDef::new("discount", K::Fraction),
        FieldDef::new("amount", K::Money).server(),
        created_at(),
        updated_at(),
    ],
};

static SHIPMENTS: EntityDef = EntityDef {
    entity: Entity::Shipments,
    anchor: Anchor::ViaAccount,
    default_sort: "shipped_date",
    fields: &[
        id(),
        FieldDef::new("order_id", K::Ref(Entity::Orders))
            .required()
            .create_only()
            .filter(),
        derived_account_ref(),
        FieldDef::new("carrier", K::Text).sort().search(),
        FieldDef::new("tracking_no", K::Text).sensitive(M::Redact),
        FieldDef::new("consignee_name", K::PersonName).mask(M::PersonName),
        FieldDef::new("consignee_phone", K::Phone).sensitive(M::Phone),
        FieldDef::new("address", K::Text)
            .sensitive(M::Address)
            .long(400),
        FieldDef::new("status", K::Enum(SHIPMENT_STATUS))
            .required()
            .sort(),
        FieldDef::new("shipped_date", K::Date).sort(),
        FieldDef::new("delivered_date", K::Date).sort(),
        FieldDef::new("freight", K::Money).min(0),
        created_at(),
        updated_at(),
    ],
};

static CONTRACTS: EntityDef = EntityDef {
    entity: Entity::Contracts,
    anchor: Anchor::ViaAccount,
    default_sort: "contract_no",
    fields: &[
        id(),
        FieldDef::new("contract_no", K::Text)
            .required()
            .sort()
            .search(),
        account_ref(),
        FieldDef::new("title", K::Text).sort().search(),
        FieldDef::new("terms", K::LongText)
            .sensitive(M::Redact)
            .long(10000),
        FieldDef::new("value", K::Money).min(0),
        FieldDef::new("start_date", K::Date).sort(),
        FieldDef::new("end_date", K::Date).sort(),
        FieldDef::new("status", K::Enum(CONTRACT_STATUS))
            .required()
            .sort(),
        created_at(),
        updated_at(),
    ],
};

static SETTLEMENTS: EntityDef = EntityDef {
    entity: Entity::Settlements,
    anchor: Anchor::ViaAccount,
    default_sort: "invoice_no",
    fields: &[
        id(),
        FieldDef::new("invoice_no", K::Text)
            .required()
            .sort()
            .search(),
        account_ref(),
        FieldDef::new("order_id", K::Ref(Entity::Orders)).filter(),
        FieldDef::new("amount", K::Money)
            .required()
            .sensitive(M::Redact),
        FieldDef::new("bank_account", K::BankAccount).highly_sensitive(M::BankAccount),
        FieldDef::new("status", K::Enum(SETTLEMENT_STATUS))
            .required()
            .sort(),
        FieldDef::new("due_date", K::Date).sort(),
        created_at(),
        updated_at(),
    ],
};

static TICKETS: EntityDef = EntityDef {
    entity: Entity::Tickets,
    anchor: Anchor::ViaAccount,
    default_sort: "created_at",
    fields: &[
        id(),
        account_ref(),
        FieldDef::new("contact_id", K::Ref(Entity::Contacts)).filter(),
        FieldDef::new("subject", K::Text).required().sort().search(),
        FieldDef::new("description", K::LongText).long(5000),
        FieldDef::new("status", K::Enum(TICKET_STATUS))
            .required()
            .sort(),
        FieldDef::new("priority", K::Enum(TICKET_PRIORITY)).sort(),
        FieldDef::new("assignee_id", K::Ref(Entity::Users)).filter(),
        created_at(),
        updated_at(),
    ],
};

static USERS: EntityDef = EntityDef {
    entity: Entity::Users,
    anchor: Anchor::User,
    default_sort: "username",
    fields: &[
        id(),
        FieldDef::new("username", K::Text)
            .required()
            .create_only()
            .sort()
            .search(),
        FieldDef::new("display_name", K::PersonName)
            .mask(M::PersonName)
            .sort()
            .search(),
        FieldDef::new("email", K::Email).sensitive(M::Email),
        FieldDef::new("mobile", K::Mobile).sensitive(M::Phone),
        FieldDef::new("department", K::Text).sort(),
        FieldDef::new("title", K::Text).sort(),
        FieldDef::new("manager_id", K::Ref(Entity::Users)).filter(),
        FieldDef::new("region", K::Text).sort(),
        FieldDef::new("status", K::Enum(USER_STATUS)).sort(),
        FieldDef::new("roles", K::RoleList).required(),
        external_id(),
        created_at(),
        updated_at(),
    ],
};

/// Every entity, in a stable order.
pub const ALL: &[Entity] = &[
    Entity::Accounts,
    Entity::Contacts,
    Entity::Suppliers,
    Entity::Products,
    Entity::Orders,
    Entity::OrderLines,
    Entity::Shipments,
    Entity::Contracts,
    Entity::Settlements,
    Entity::Tickets,
    Entity::Users,
];

impl Entity {
    /// The declaration of this entity.
    pub fn def(self) -> &'static EntityDef {
        match self {
            Self::Accounts => &ACCOUNTS,
            Self::Contacts => &CONTACTS,
            Self::Suppliers => &SUPPLIERS,
            Self::Products => &PRODUCTS,
            Self::Orders => &ORDERS,
            Self::OrderLines => &ORDER_LINES,
            Self::Shipments => &SHIPMENTS,
            Self::Contracts => &CONTRACTS,
            Self::Settlements => &SETTLEMENTS,
            Self::Tickets => &TICKETS,
            Self::Users => &USERS,
        }
    }

    /// The snake_case name: URL segment and table name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accounts => "accounts",
            Self::Contacts => "contacts",
            Self::Suppliers => "suppliers",
            Self::Products => "products",
            Self::Orders => "orders",
            Self::OrderLines => "order_lines",
            Self::Shipments => "shipments",
            Self::Contracts => "contracts",
            Self::Settlements => "settlements",
            Self::Tickets => "tickets",
            Self::Users => "users",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().copied().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entity_starts_with_id_and_has_unique_fields() {
        for e in ALL {
            let def = e.def();
            assert_eq!(def.entity, *e);
            assert_eq!(def.fields[0].name, "id");
            let mut names: Vec<_> = def.fields.iter().map(|f| f.name).collect();
            names.sort_unstable();
            let n = names.len();
            names.dedup();
            assert_eq!(n, names.len(), "duplicate field in {e}");
            assert!(def.field(def.default_sort).is_some_and(|f| f.sortable));
            assert_eq!(Entity::parse(e.as_str()), Some(*e));
        }
    }

    #[test]
    fn sensitive_fields_are_never_sortable_or_searchable() {
        for e in ALL {
            for f in e.def().fields {
                if f.class != Classification::General {
                    assert!(!f.sortable && !f.searchable, "{e}.{}", f.name);
                }
            }
        }
    }

    #[test]
    fn scoped_children_carry_an_account_id() {
        for e in ALL {
            if e.def().anchor == Anchor::ViaAccount {
                assert!(e.def().field("account_id").is_some(), "{e}");
            }
        }
    }

    #[test]
    fn issue_field_names_exist() {
        let need: &[(Entity, &[&str])] = &[
            (
                Entity::Accounts,
                &["name", "credit_code", "address", "owner_id"],
            ),
            (
                Entity::Contacts,
                &[
                    "name",
                    "mobile",
                    "phone",
                    "email",
                    "id_number",
                    "account_id",
                ],
            ),
            (
                Entity::Orders,
                &["order_no", "status", "delivery_date", "total_amount"],
            ),
            (
                Entity::Settlements,
                &["invoice_no", "amount", "bank_account"],
            ),
            (
                Entity::Shipments,
                &[
                    "carrier",
                    "tracking_no",
                    "consignee_name",
                    "consignee_phone",
                    "address",
                ],
            ),
        ];
        for (e, fields) in need {
            for f in *fields {
                assert!(e.def().field(f).is_some(), "{e}.{f}");
            }
        }
    }
}
