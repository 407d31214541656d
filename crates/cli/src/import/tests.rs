#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::mapping::{ENTITY_ORDER, rank};
use super::*;
use bulwark_domain::{FieldKind, Value};
use std::path::{Path, PathBuf};

fn northwind_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/northwind")
}

fn quiet(_: u64, _: u64) {}

fn value<'a>(r: &'a bulwark_store::NewRecord, field: &str) -> Option<&'a Value> {
    r.values.iter().find(|(n, _)| *n == field).map(|(_, v)| v)
}

fn text<'a>(r: &'a bulwark_store::NewRecord, field: &str) -> Option<&'a str> {
    value(r, field).and_then(Value::as_text)
}

fn find<'a>(
    plan: &'a Plan,
    entity: Entity,
    field: &str,
    want: &str,
) -> &'a bulwark_store::NewRecord {
    plan.records
        .iter()
        .find(|r| r.entity == entity && text(r, field) == Some(want))
        .unwrap_or_else(|| panic!("no {entity} with {field} = {want}"))
}

/// Copies the shipped Northwind folder into a temporary directory.
fn northwind_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(northwind_dir()).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).unwrap();
    }
    dir
}

/// Replaces the first occurrence of `from` in a file of `dir`.
fn edit(dir: &Path, file: &str, from: &str, to: &str) {
    let p = dir.join(file);
    let s = std::fs::read_to_string(&p).unwrap();
    assert!(s.contains(from), "{file} lacks {from:?}");
    std::fs::write(&p, s.replacen(from, to, 1)).unwrap();
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

fn mapping_error(dir: &Path, mapping: &str) -> String {
    let m = write(dir, "mapping.toml", mapping);
    match plan(&m, &quiet) {
        Err(e) => e.to_string(),
        Ok(p) => panic!("expected a mapping error, got a plan with {:?}", p.counts),
    }
}

#[test]
fn northwind_plans_cleanly_with_the_expected_counts() {
    let calls = std::cell::Cell::new((0u64, 0u64));
    let plan = plan(&northwind_dir().join("mapping.toml"), &|d, t| {
        calls.set((d, t))
    })
    .unwrap();
    assert!(
        plan.errors.is_empty(),
        "{:#?}",
        &plan.errors[..plan.errors.len().min(20)]
    );
    assert!(plan.is_clean());
    let expected = [
        (Entity::Accounts, 91),
        (Entity::Contacts, 91),
        (Entity::Suppliers, 29),
        (Entity::Products, 77),
        (Entity::Users, 9),
        (Entity::Orders, 830),
        (Entity::OrderLines, 2155),
        (Entity::Shipments, 830),
    ];
    assert_eq!(plan.counts, expected.into_iter().collect());
    assert_eq!(
        plan.records.len(),
        expected.iter().map(|(_, n)| n).sum::<usize>()
    );
    assert_eq!(
        calls.get(),
        (
            91 * 2 + 29 + 77 + 9 + 830 * 2 + 2155,
            91 * 2 + 29 + 77 + 9 + 830 * 2 + 2155
        )
    );
    assert!(plan.assignments.is_empty());

    // Ids are UUIDv7 and unique.
    let mut ids: Vec<&str> = plan.records.iter().map(|r| r.id.as_str()).collect();
    assert!(
        ids.iter()
            .all(|id| uuid::Uuid::parse_str(id).is_ok_and(|u| u.get_version_num() == 7))
    );
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), plan.records.len());

    // Every reference points at a record inserted earlier.
    let mut seen = std::collections::HashMap::new();
    for r in &plan.records {
        for (name, v) in &r.values {
            let f = r.entity.def().field(name).unwrap();
            if let (FieldKind::Ref(target), Some(id)) = (f.kind, v.as_text()) {
                assert_eq!(
                    seen.get(id),
                    Some(&target),
                    "{} {name} refers forward",
                    r.entity
                );
            }
        }
        seen.insert(r.id.as_str(), r.entity);
    }

    // Users.
    let nancy = find(&plan, Entity::Users, "username", "nancy.davolio");
    assert_eq!(text(nancy, "display_name"), Some("Nancy Davolio"));
    assert_eq!(text(nancy, "roles"), Some("sales"));
    assert_eq!(text(nancy, "region"), Some("WA"));
    assert_eq!(text(nancy, "department"), Some("Sales"));
    assert_eq!(text(nancy, "status"), Some("active"));
    assert_eq!(text(nancy, "external_id"), Some("1"));
    let andrew = find(&plan, Entity::Users, "username", "andrew.fuller");
    assert_eq!(text(andrew, "roles"), Some("executive"));
    assert_eq!(text(andrew, "title"), Some("Vice President, Sales"));
    assert_eq!(value(andrew, "manager_id"), None);
    assert_eq!(text(nancy, "manager_id"), Some(andrew.id.as_str()));
    let steven = find(&plan, Entity::Users, "username", "steven.buchanan");
    assert_eq!(text(steven, "roles"), Some("sales_manager"));
    let michael = find(&plan, Entity::Users, "username", "michael.suyama");
    assert_eq!(text(michael, "region"), Some("UK"));
    assert_eq!(text(michael, "manager_id"), Some(steven.id.as_str()));
    let laura = find(&plan, Entity::Users, "username", "laura.callahan");
    assert_eq!(text(laura, "roles"), Some("sales"));

    // Accounts and contacts, with real-world names and phones.
    let anatr = find(&plan, Entity::Accounts, "external_id", "ANATR");
    assert_eq!(
        text(anatr, "name"),
        Some("Ana Trujillo Emparedados y helados")
    );
    assert_eq!(text(anatr, "phone"), Some("(5) 555-4729"));
    assert_eq!(text(anatr, "city"), Some("México D.F."));
    assert_eq!(
        text(anatr, "address"),
        Some("Avda. de la Constitución 2222, México D.F. 05021")
    );
    assert_eq!(value(anatr, "region"), None);
    let contact = find(&plan, Entity::Contacts, "name", "Ana Trujillo");
    assert_eq!(text(contact, "account_id"), Some(anatr.id.as_str()));
    assert_eq!(text(contact, "title"), Some("Owner"));
    // Owner: the employee of the latest order (ANATR's last order, 10926 of 1998-03-04, was
    // taken by employee 4, Margaret Peacock).
    let margaret = find(&plan, Entity::Users, "username", "margaret.peacock");
    assert_eq!(text(anatr, "owner_id"), Some(margaret.id.as_str()));
    // Customers without orders keep no owner.
    let paris = find(&plan, Entity::Accounts, "external_id", "PARIS");
    assert_eq!(value(paris, "owner_id"), None);
    let owned = plan
        .records
        .iter()
        .filter(|r| r.entity == Entity::Accounts && value(r, "owner_id").is_some())
        .count();
    assert_eq!(owned, 89);

    // Products.
    let chai = find(&plan, Entity::Products, "name", "Chai");
    assert_eq!(text(chai, "category"), Some("Beverages"));
    assert_eq!(value(chai, "unit_price"), Some(&Value::Int(1800)));
    assert_eq!(value(chai, "discontinued"), Some(&Value::Int(1)));
    assert_eq!(value(chai, "units_in_stock"), Some(&Value::Int(39)));
    let supplier = find(&plan, Entity::Suppliers, "external_id", "8");
    assert_eq!(text(chai, "supplier_id"), Some(supplier.id.as_str()));

    // Orders, lines and shipments: order 10248 (VINET, 3 lines, 440.00, shipped by Federal
    // Shipping).
    let o = find(&plan, Entity::Orders, "order_no", "10248");
    let vinet = find(&plan, Entity::Accounts, "external_id", "VINET");
    assert_eq!(text(o, "account_id"), Some(vinet.id.as_str()));
    assert_eq!(text(o, "status"), Some("delivered"));
    assert_eq!(text(o, "order_date"), Some("1996-07-04"));
    assert_eq!(text(o, "delivery_date"), Some("1996-08-01"));
    assert_eq!(text(o, "currency"), Some("USD"));
    assert_eq!(value(o, "total_amount"), Some(&Value::Int(44_000)));
    let lines: Vec<_> = plan
        .records
        .iter()
        .filter(|r| r.entity == Entity::OrderLines && text(r, "order_id") == Some(o.id.as_str()))
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(
        lines
            .iter()
            .all(|l| text(l, "account_id") == Some(vinet.id.as_str()))
    );
    assert_eq!(value(lines[0], "amount"), Some(&Value::Int(16_800)));
    let ship = plan
        .records
        .iter()
        .find(|r| r.entity == Entity::Shipments && text(r, "order_id") == Some(o.id.as_str()))
        .unwrap();
    assert_eq!(text(ship, "carrier"), Some("Federal Shipping"));
    assert_eq!(
        text(ship, "consignee_name"),
        Some("Vins et alcools Chevalier")
    );
    assert_eq!(
        text(ship, "address"),
        Some("59 rue de l'Abbaye, Reims 51100, France")
    );
    assert_eq!(text(ship, "status"), Some("delivered"));
    assert_eq!(text(ship, "shipped_date"), Some("1996-07-16"));
    assert_eq!(value(ship, "freight"), Some(&Value::Int(3238)));
    assert_eq!(text(ship, "account_id"), Some(vinet.id.as_str()));
    // Unshipped orders: confirmed, shipment pending.
    let open = plan
        .records
        .iter()
        .filter(|r| r.entity == Entity::Orders && text(r, "status") == Some("confirmed"))
        .count();
    assert_eq!(open, 21);
    let pending = plan
        .records
        .iter()
        .filter(|r| r.entity == Entity::Shipments && text(r, "status") == Some("pending"))
        .count();
    assert_eq!(pending, 21);
    // Line discount: 10250/51 is 35 × 42.40 with 15 % off = 1261.40.
    let o2 = find(&plan, Entity::Orders, "order_no", "10250");
    assert!(plan.records.iter().any(|r| r.entity == Entity::OrderLines
        && text(r, "order_id") == Some(o2.id.as_str())
        && value(r, "amount") == Some(&Value::Int(126_140))));
}

#[test]
fn one_bad_reference_gives_exactly_one_row_error() {
    let dir = northwind_copy();
    // Line 2 of order_details.csv: product 11 → 999 (no such product).
    edit(
        dir.path(),
        "order_details.csv",
        "10248,11,14,12,0",
        "10248,999,14,12,0",
    );
    let plan = plan(&dir.path().join("mapping.toml"), &quiet).unwrap();
    assert_eq!(plan.errors.len(), 1, "{:#?}", plan.errors);
    let e = &plan.errors[0];
    assert_eq!(e.file, "order_details.csv");
    assert_eq!(e.line, 2);
    assert_eq!(e.entity, Entity::OrderLines);
    assert_eq!(e.field.as_deref(), Some("product_id"));
    assert!(!e.message.contains("999"), "{e}");
    assert!(!e.to_string().contains("999"), "{e}");
    assert!(!plan.is_clean());
    assert_eq!(plan.counts.get(&Entity::OrderLines), Some(&2154));
}

#[test]
fn one_invalid_date_gives_exactly_one_row_error() {
    let dir = northwind_copy();
    // Line 4 of orders.csv: order 10250's order date.
    edit(
        dir.path(),
        "orders.csv",
        "10250,HANAR,4,1996-07-08",
        "10250,HANAR,4,1996-13-08",
    );
    let plan = plan(&dir.path().join("mapping.toml"), &quiet).unwrap();
    assert_eq!(plan.errors.len(), 1, "{:#?}", plan.errors);
    let e = &plan.errors[0];
    assert_eq!((e.file.as_str(), e.line), ("orders.csv", 4));
    assert_eq!(e.entity, Entity::Orders);
    assert_eq!(e.field.as_deref(), Some("order_date"));
    assert!(!e.message.contains("1996-13-08"), "{e}");
    assert!(!e.to_string().contains("13-08"), "{e}");
}

#[test]
fn bad_cells_are_all_reported_without_their_values() {
    let dir = northwind_copy();
    edit(
        dir.path(),
        "customers.csv",
        "030-0074321",
        "030-0074321-not-a-phone",
    );
    edit(
        dir.path(),
        "products.csv",
        "1,Chai,8,1,10 boxes x 30 bags,18,39,0,10,1",
        "1,Chai,8,42,10 boxes x 30 bags,18.123,lots,0,10,maybe",
    );
    edit(
        dir.path(),
        "employees.csv",
        "Sales Manager,Mr.",
        "Sales Wizard,Mr.",
    );
    let suppliers = dir.path().join("suppliers.csv");
    let mut s = std::fs::read_to_string(&suppliers).unwrap();
    s.push_str("1,Dup Co,,,,,,,,,,\n");
    std::fs::write(&suppliers, s).unwrap();
    let plan = plan(&dir.path().join("mapping.toml"), &quiet).unwrap();
    let got: Vec<_> = plan
        .errors
        .iter()
        .map(|e| (e.file.as_str(), e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("suppliers.csv", 31, Some("external_id")),
            ("products.csv", 2, Some("category")),
            ("products.csv", 2, Some("unit_price")),
            ("products.csv", 2, Some("units_in_stock")),
            ("products.csv", 2, Some("discontinued")),
            ("employees.csv", 6, Some("roles")),
            ("customers.csv", 2, Some("phone")),
            ("customers.csv", 2, Some("phone")),
        ],
        "{:#?}",
        plan.errors
    );
    for e in &plan.errors {
        for secret in ["not-a-phone", "18.123", "lots", "maybe", "Wizard", "42"] {
            assert!(!e.to_string().contains(secret), "{e}");
        }
    }
    assert!(
        plan.errors[0].message.contains("line 2"),
        "{}",
        plan.errors[0]
    );
}

#[test]
fn quoted_cells_with_newlines_and_quotes_parse() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "accounts.csv",
        "\u{feff}id,name\nA1,\"Acme, \"\"East\"\"\"\n",
    );
    write(
        dir.path(),
        "orders.csv",
        "no,acct,note,date\n\
         1,A1,\"first line\nsecond \"\"quoted\"\" line\",2024-01-31\n\
         2,A1,\"one\\ntwo\",2024-02-30\n",
    );
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        newline_escape = "\\n"
        [[source]]
        file = "accounts.csv"
        entity = "accounts"
        key = "id"
        fields = { name = "name", address = { template = "{name}\\n{id}" } }
        [[source]]
        file = "orders.csv"
        entity = "orders"
        [source.fields]
        order_no = "no"
        account_id = { ref = "accounts", column = "acct" }
        status = { constant = "draft" }
        note = "note"
        order_date = "date"
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    let acct = find(&plan, Entity::Accounts, "external_id", "A1");
    assert_eq!(text(acct, "name"), Some("Acme, \"East\""));
    // A single-line field turns the escape into a space.
    assert_eq!(text(acct, "address"), Some("Acme, \"East\" A1"));
    let o1 = find(&plan, Entity::Orders, "order_no", "1");
    assert_eq!(text(o1, "note"), Some("first line\nsecond \"quoted\" line"));
    // Orders without lines in the import keep what the mapping gives (here nothing).
    assert_eq!(value(o1, "total_amount"), None);
    // The second order starts on line 4, after the two-line cell; its date is invalid, and its
    // escaped note would have been two lines.
    assert_eq!(plan.errors.len(), 1, "{:#?}", plan.errors);
    let e = &plan.errors[0];
    assert_eq!(
        (e.file.as_str(), e.line, e.field.as_deref()),
        ("orders.csv", 4, Some("order_date"))
    );
}

#[test]
fn newline_escape_becomes_a_line_break_in_multi_line_fields() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.csv", "id,name,note\nA,x,one\\ntwo\n");
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        newline_escape = "\\n"
        [[source]]
        file = "a.csv"
        entity = "accounts"
        key = "id"
        fields = { name = "name" }
        [[source]]
        file = "a.csv"
        entity = "orders"
        fields = { order_no = "id", account_id = { ref = "accounts", column = "id" }, status = { constant = "draft" }, note = "note" }
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    assert!(plan.errors.is_empty(), "{:#?}", plan.errors);
    let o = find(&plan, Entity::Orders, "order_no", "A");
    assert_eq!(text(o, "note"), Some("one\ntwo"));
}

#[test]
fn an_unknown_field_is_a_clear_mapping_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.csv", "id,company\n1,Acme\n");
    let msg = mapping_error(
        dir.path(),
        r#"
        [[source]]
        file = "c.csv"
        entity = "accounts"
        key = "id"
        fields = { nmae = "company", name = "company" }
        "#,
    );
    assert!(
        msg.contains("[[source]] #1 (c.csv → accounts), field `nmae`"),
        "{msg}"
    );
    assert!(msg.contains("accounts has no field `nmae`"), "{msg}");
    assert!(msg.contains("credit_code"), "lists the valid fields: {msg}");
}

#[test]
fn mapping_problems_are_all_reported_before_any_row() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "c.csv", "id,company,phone\n1,Acme,\n");
    let msg = mapping_error(
        dir.path(),
        r#"
        [[source]]
        file = "c.csv"
        entity = "accounts"
        key = "id"
        fields = { phone = "telephone", id = "id", created_at = "id" }
        [[source]]
        file = "c.csv"
        entity = "order_lines"
        fields = { account_id = { ref = "accounts", column = "id" }, amount = "id", order_id = { ref = "orders", column = "id" } }
        [[source]]
        file = "c.csv"
        entity = "customers"
        [[derive]]
        entity = "accounts"
        field = "owner_id"
        from = { entity = "orders", field = "owner_id", via = "account_id", pick = "newest", order_by = "order_date" }
        "#,
    );
    for want in [
        "c.csv has no column `telephone` (columns: id, company, phone)",
        "field `id`: cannot be imported, it is set by the server",
        "field `created_at`: cannot be imported",
        "required field `name` of accounts is not mapped",
        "field `account_id`: cannot be imported, the importer sets it: it is copied from the record's order",
        "field `amount`: cannot be imported, the importer sets it",
        "`ref = \"orders\"` needs a [[source]] for orders with a `key`",
        "required field `product_id` of order_lines is not mapped",
        "unknown entity `customers`",
        "[[derive]] #1 (accounts.owner_id): both accounts and orders must be imported",
    ] {
        assert!(msg.contains(want), "missing {want:?} in:\n{msg}");
    }
}

#[test]
fn conversion_tables_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u.csv",
        "id,first,last,title,boss\n1,Ann,Lee,Boss,\n",
    );
    let base = r#"
        [[source]]
        file = "u.csv"
        entity = "users"
        key = "id"
        [source.fields]
        roles = { constant = ["sales"] }
    "#;
    let cases = [
        ("username = { template = \"{first\" }", "unclosed `{`"),
        (
            "username = { template = \"{first|title}\" }",
            "unknown filter `title`",
        ),
        (
            "username = { template = \"plain\" }",
            "no {column} placeholder",
        ),
        (
            "username = { column = \"first\", sep = \"x\" }",
            "unexpected key `sep`",
        ),
        (
            "username = \"first\"\nmanager_id = { ref = \"accounts\", column = \"boss\" }",
            "`ref` must be `users`",
        ),
        (
            "username = \"first\"\ntitle = { ref = \"users\", column = \"boss\" }",
            "`ref` is only for reference fields",
        ),
        (
            "username = { lookup = { file = \"u.csv\", key = \"id\", value = \"nope\" }, column = \"id\" }",
            "u.csv has no column `nope`",
        ),
        ("username = 3", "must be a column name or a table"),
    ];
    for (fields, want) in cases {
        let msg = mapping_error(dir.path(), &format!("{base}{fields}\n"));
        assert!(msg.contains(want), "{fields}: missing {want:?} in:\n{msg}");
    }
    let msg = mapping_error(
        dir.path(),
        "[[source]]\nfile = \"u.csv\"\nentity = \"users\"\nextra = 1\n",
    );
    assert!(msg.contains("unknown field `extra`"), "{msg}");
}

#[test]
fn templates_drop_separators_of_empty_values() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.csv",
        "id,street,city,zip,country\n1,Main St 1,,,UK\n2,,,,\n3,A,B,C,D\n",
    );
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        [[source]]
        file = "c.csv"
        entity = "accounts"
        key = "id"
        [source.fields]
        name = { template = "Customer {id|upper}" }
        address = { template = "{street}, {city} {zip}, {country}", default = "unknown" }
        country = { coalesce = ["country", "city"], default = "n/a" }
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    assert!(plan.errors.is_empty(), "{:#?}", plan.errors);
    let addr = |id: &str| {
        text(find(&plan, Entity::Accounts, "external_id", id), "address").map(str::to_string)
    };
    assert_eq!(addr("1").as_deref(), Some("Main St 1, UK"));
    assert_eq!(addr("2").as_deref(), Some("unknown"));
    assert_eq!(addr("3").as_deref(), Some("A, B C, D"));
    let r2 = find(&plan, Entity::Accounts, "external_id", "2");
    assert_eq!(text(r2, "name"), Some("Customer 2"));
    assert_eq!(text(r2, "country"), Some("n/a"));
}

#[test]
fn duplicate_and_empty_keys_and_unknown_map_values_are_row_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u.csv",
        "id,name,title\n1,ann,Rep\n1,bob,Rep\n,cy,Rep\n4,dee,Pilot\n",
    );
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        [[source]]
        file = "u.csv"
        entity = "users"
        key = "id"
        [source.fields]
        username = "name"
        roles = { column = "title", map = { Rep = "sales" } }
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    let got: Vec<_> = plan
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (3, Some("external_id")),
            (4, Some("external_id")),
            (5, Some("roles"))
        ]
    );
    assert!(
        plan.errors[0].message.contains("u.csv line 2"),
        "{}",
        plan.errors[0]
    );
    assert!(!plan.errors[2].message.contains("Pilot"));
    assert_eq!(plan.counts.get(&Entity::Users), Some(&1));
}

#[test]
fn self_references_are_ordered_and_cycles_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "u.csv",
        "id,name,boss\n1,a,3\n2,b,\n3,c,2\n4,d,5\n5,e,4\n6,f,6\n",
    );
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        [[source]]
        file = "u.csv"
        entity = "users"
        key = "id"
        fields = { username = "name", roles = { constant = "sales" }, manager_id = { ref = "users", column = "boss" } }
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    let names: Vec<_> = plan
        .records
        .iter()
        .filter_map(|r| text(r, "username"))
        .collect();
    assert_eq!(names, ["b", "c", "a"]);
    let got: Vec<_> = plan
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            (5, Some("manager_id")),
            (6, Some("manager_id")),
            (7, Some("manager_id"))
        ]
    );
    assert!(plan.errors.iter().all(|e| e.message.contains("cycle")));
}

#[test]
fn malformed_rows_are_row_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"id,name\n1,ok\n2,too,many\n3,".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\n,\n4,fine\n");
    std::fs::write(dir.path().join("a.csv"), bytes).unwrap();
    let m = write(
        dir.path(),
        "mapping.toml",
        "[[source]]\nfile = \"a.csv\"\nentity = \"suppliers\"\nkey = \"id\"\nfields = { name = \"name\" }\n",
    );
    let plan = plan(&m, &quiet).unwrap();
    let got: Vec<_> = plan
        .errors
        .iter()
        .map(|e| (e.line, e.message.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "the row has 3 columns, the header has 2"),
            (4, "column `name` is not valid UTF-8"),
        ]
    );
    assert_eq!(plan.counts.get(&Entity::Suppliers), Some(&2));
}

#[test]
fn reported_errors_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,date\n");
    for i in 0..1500 {
        csv.push_str(&format!("{i},nope\n"));
    }
    write(dir.path(), "a.csv", &csv);
    let m = write(
        dir.path(),
        "mapping.toml",
        r#"
        [[source]]
        file = "a.csv"
        entity = "contracts"
        fields = { contract_no = "id", account_id = "id", status = { constant = "draft" } }
        "#,
    );
    let plan = plan(&m, &quiet).unwrap();
    assert_eq!(plan.errors.len(), MAX_REPORTED_ERRORS);
    assert_eq!(plan.errors_omitted, 500);
    assert_eq!(plan.errors[0].line, 2);
    assert!(
        plan.errors[0].message.contains("record id"),
        "{}",
        plan.errors[0]
    );
}

#[test]
fn entity_order_puts_references_first() {
    assert_eq!(ENTITY_ORDER.len(), bulwark_domain::catalogue::ALL.len());
    for e in bulwark_domain::catalogue::ALL {
        for f in e.def().fields {
            if let FieldKind::Ref(target) = f.kind {
                assert!(
                    rank(target) <= rank(*e),
                    "{e}.{} refers to {target}",
                    f.name
                );
            }
        }
    }
}
