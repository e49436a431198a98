//! Page requests for every paginated list.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    page: u32,
    per_page: u32,
}

#[derive(Debug, Error, Clone, Copy, PartialEq, Eq)]
pub enum PagingError {
    #[error("page must be between 1 and {max}", max = PageRequest::MAX_PAGE)]
    PageOutOfRange,
    #[error("per_page must be between 1 and {max}", max = PageRequest::MAX_PER_PAGE)]
    PerPageOutOfRange,
}

impl PageRequest {
    pub const DEFAULT_PER_PAGE: u32 = 50;
    pub const MAX_PER_PAGE: u32 = 200;
    /// Far beyond any list here; it keeps offsets small for the database.
    pub const MAX_PAGE: u32 = 1_000_000;

    /// # Errors
    /// `PageOutOfRange` outside 1..=1,000,000, `PerPageOutOfRange` outside 1..=200.
    pub fn new(page: i64, per_page: i64) -> Result<Self, PagingError> {
        let page = u32::try_from(page)
            .ok()
            .filter(|p| (1..=Self::MAX_PAGE).contains(p))
            .ok_or(PagingError::PageOutOfRange)?;
        let per_page = u32::try_from(per_page)
            .ok()
            .filter(|p| (1..=Self::MAX_PER_PAGE).contains(p))
            .ok_or(PagingError::PerPageOutOfRange)?;
        Ok(Self { page, per_page })
    }

    pub fn page(self) -> u32 {
        self.page
    }

    pub fn per_page(self) -> u32 {
        self.per_page
    }

    /// Rows to skip; u64 because `page * per_page` can exceed u32.
    pub fn offset(self) -> u64 {
        u64::from(self.page - 1) * u64::from(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            per_page: Self::DEFAULT_PER_PAGE,
        }
    }
}

/// One page of results with the total count of the whole list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub request: PageRequest,
    pub total: u64,
}

impl<T> Page<T> {
    /// The answer for a list that is empty by definition.
    pub fn empty(request: PageRequest) -> Self {
        Self {
            items: Vec::new(),
            request,
            total: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_defaults_to_page_one_of_fifty() {
        let p = PageRequest::default();
        assert_eq!((p.page(), p.per_page(), p.offset()), (1, 50, 0));
    }

    #[test]
    fn paging_rejects_page_below_one_and_per_page_outside_one_to_two_hundred() {
        assert_eq!(PageRequest::new(0, 10), Err(PagingError::PageOutOfRange));
        assert_eq!(PageRequest::new(-1, 10), Err(PagingError::PageOutOfRange));
        assert_eq!(
            PageRequest::new(9_223_372_036_854_775_806, 10),
            Err(PagingError::PageOutOfRange),
            "a huge page is out of range, not 'too small'"
        );
        assert_eq!(PageRequest::new(1, 0), Err(PagingError::PerPageOutOfRange));
        assert_eq!(
            PageRequest::new(1, 201),
            Err(PagingError::PerPageOutOfRange)
        );
        assert!(PageRequest::new(1, 200).is_ok());
    }

    #[test]
    fn paging_offset_of_the_last_page() {
        let p = PageRequest::new(i64::from(PageRequest::MAX_PAGE), 200).expect("valid");
        assert_eq!(p.offset(), u64::from(PageRequest::MAX_PAGE - 1) * 200);
    }
}
