pub mod view_dir;
