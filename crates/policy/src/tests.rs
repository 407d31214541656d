#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;
use bulwark_domain::catalogue::ALL;
use bulwark_domain::{Classification, Entity};

fn policy() -> PolicyDoc {
    PolicyDoc::builtin().expect("built-in roles parse")
}

fn roles(r: &[&str]) -> Vec<String> {
    r.iter().map(|s| s.to_string()).collect()
}

fn grant(p: &PolicyDoc, r: &[&str], e: Entity, a: Action) -> Option<Grant> {
    match decide(p, &roles(r), e, a) {
        Decision::Allow(g) => Some(g),
        Decision::Deny(_) => None,
    }
}

fn access(g: &Grant, field: &str, rel: Relation) -> Access {
    let (idx, _) = g.field_index(field).unwrap();
    g.access(idx, rel)
}

const OWNED: Relation = Relation {
    owned: true,
    assigned: false,
    team: true,
    region: false,
    public: false,
};
const ASSIGNED: Relation = Relation {
    owned: false,
    assigned: true,
    team: false,
    region: false,
    public: false,
};
const TEAM: Relation = Relation {
    owned: false,
    assigned: false,
    team: true,
    region: false,
    public: false,
};
const OTHER: Relation = Relation {
    owned: false,
    assigned: false,
    team: false,
    region: false,
    public: false,
};

#[test]
fn every_issue_role_exists() {
    let p = policy();
    for r in [
        "sysadmin",
        "secadmin",
        "auditor",
        "executive",
        "sales",
        "sales_manager",
        "procurement",
        "logistics",
        "after_sales",
        "finance",
        "field_staff",
    ] {
        assert!(p.roles.contains_key(r), "{r}");
    }
}

#[test]
fn admin_duties_see_no_business_data_and_only_auditor_reads_audit() {
    let p = policy();
    for r in ["sysadmin", "secadmin", "auditor"] {
        for e in ALL {
            if *e == Entity::Users {
                continue;
            }
            for a in Action::ALL {
                assert!(grant(&p, &[r], *e, a).is_none(), "{r} {e} {a:?}");
            }
        }
        assert_eq!(
            has_capability(&p, &roles(&[r]), Capability::AuditRead),
            r == "auditor"
        );
    }
}

#[test]
fn executive_reads_everything_changes_nothing_and_sees_sensitive_masked() {
    let p = policy();
    for e in ALL {
        let g = grant(&p, &["executive"], *e, Action::Read).expect("executive reads all");
        assert_eq!(g.scope(), Scope::All);
        for a in [
            Action::Create,
            Action::Update,
            Action::Delete,
            Action::Export,
            Action::Reveal,
        ] {
            assert!(grant(&p, &["executive"], *e, a).is_none(), "{e} {a:?}");
        }
        for (idx, f) in e.def().fields.iter().enumerate() {
            if f.class != Classification::General {
                assert_ne!(g.access(idx, OTHER), Access::Full, "{e}.{}", f.name);
            }
        }
    }
}

#[test]
fn field_staff_least_privilege() {
    let p = policy();
    let g = grant(&p, &["field_staff"], Entity::Accounts, Action::Read).unwrap();
    assert_eq!(g.scope(), Scope::Own);
    assert!(!g.covers(OTHER));
    assert!(g.covers(ASSIGNED));
    assert_eq!(access(&g, "name", ASSIGNED), Access::Full);
    assert_eq!(access(&g, "address", ASSIGNED), Access::Full);
    assert_eq!(access(&g, "credit_limit", ASSIGNED), Access::Hidden);
    let c = grant(&p, &["field_staff"], Entity::Contacts, Action::Read).unwrap();
    assert_eq!(access(&c, "mobile", ASSIGNED), Access::Masked);
    assert_eq!(access(&c, "id_number", ASSIGNED), Access::Hidden);
    let o = grant(&p, &["field_staff"], Entity::Orders, Action::Read).unwrap();
    assert_eq!(access(&o, "total_amount", ASSIGNED), Access::Hidden);
    assert_eq!(access(&o, "delivery_date", ASSIGNED), Access::Full);
    for e in [Entity::Contracts, Entity::Settlements] {
        assert!(grant(&p, &["field_staff"], e, Action::Read).is_none());
    }
    for a in [Action::Create, Action::Update, Action::Delete] {
        assert!(grant(&p, &["field_staff"], Entity::Accounts, a).is_none());
        assert!(grant(&p, &["field_staff"], Entity::Contacts, a).is_none());
    }
}

#[test]
fn sales_mobile_full_only_on_owned_accounts() {
    let p = policy();
    let g = grant(&p, &["sales"], Entity::Contacts, Action::Read).unwrap();
    assert_eq!(access(&g, "mobile", OWNED), Access::Full);
    assert_eq!(access(&g, "mobile", ASSIGNED), Access::Masked);
    assert_eq!(access(&g, "mobile", OTHER), Access::Hidden, "out of scope");
    let m = grant(&p, &["sales_manager"], Entity::Contacts, Action::Read).unwrap();
    assert_eq!(access(&m, "mobile", TEAM), Access::Full);
    assert_eq!(m.scope(), Scope::Team);
}

#[test]
fn finance_sees_amounts_masked_bank_and_no_contacts() {
    let p = policy();
    let s = grant(&p, &["finance"], Entity::Settlements, Action::Read).unwrap();
    assert_eq!(access(&s, "amount", OTHER), Access::Full);
    assert_eq!(access(&s, "bank_account", OTHER), Access::Masked);
    assert!(grant(&p, &["finance"], Entity::Contacts, Action::Read).is_none());
    let o = grant(&p, &["finance"], Entity::Orders, Action::Read).unwrap();
    assert_eq!(access(&o, "total_amount", OTHER), Access::Full);
}

#[test]
fn logistics_sees_no_amounts() {
    let p = policy();
    let o = grant(&p, &["logistics"], Entity::Orders, Action::Read).unwrap();
    assert_eq!(access(&o, "total_amount", OTHER), Access::Hidden);
    let s = grant(&p, &["logistics"], Entity::Shipments, Action::Read).unwrap();
    assert_eq!(access(&s, "consignee_phone", OTHER), Access::Masked);
    assert_eq!(access(&s, "freight", OTHER), Access::Hidden);
}

#[test]
fn multi_role_levels_apply_only_within_the_granting_roles_scope() {
    let p = policy();
    // sales (own, mobile full on owned) + executive (all, mobile masked)
    let g = grant(&p, &["sales", "executive"], Entity::Contacts, Action::Read).unwrap();
    assert_eq!(g.scope(), Scope::All);
    assert_eq!(access(&g, "mobile", OWNED), Access::Full);
    assert_eq!(access(&g, "mobile", OTHER), Access::Masked);
    // sort/filter only on fields full for every contributing role
    let (idx, _) = g.field_index("mobile").unwrap();
    assert_eq!(g.uniform_access(idx), Access::Masked);
}

#[test]
fn unknown_roles_and_entities_are_denied() {
    let p = policy();
    assert!(matches!(
        decide(&p, &roles(&["nope"]), Entity::Accounts, Action::Read),
        Decision::Deny(DenyReason::EntityNotGranted)
    ));
    assert!(matches!(
        decide(
            &p,
            &roles(&["field_staff"]),
            Entity::Accounts,
            Action::Delete
        ),
        Decision::Deny(DenyReason::ActionNotGranted)
    ));
}

#[test]
fn policy_rejects_unknown_fields_and_round_trips() {
    let bad = "[roles.x.entities.accounts]\nactions=[\"read\"]\nscope=\"all\"\nfields={nope=\"full\"}\n[roles.x]\ndescription=\"d\"\n";
    assert!(PolicyDoc::from_toml(bad).is_err());
    let p = policy();
    let again = PolicyDoc::from_toml(&p.to_toml().unwrap()).unwrap();
    assert_eq!(p, again);
}
